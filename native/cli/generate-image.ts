import path from 'node:path';
import { EXECUTION_PROVIDERS, IMAGE_SCHEDULERS, ImageGenerationRequestSchema, type ImageGenerationRequest, isImageJobEvent, type ImageJobEvent, type ImageResult } from '../contract';
import { writeFileAtomic } from '../shared/atomic-file';
import { defaultDataDir, defaultModelsDir } from '../host/paths';
import { StudioHost } from '../host/studio-host';
import { choiceOption, integerOption, parseOptions, UsageError } from './args';
import { schemaNumberOption } from './schema-flags';
import { energyLine } from './energy-line';
import { printCalibrationProgress } from './calibration-progress';
import { followJob } from '../host/follow-job';


export interface ImageJobHooks {
  onEvent?(event: ImageJobEvent): void;
  signal?: AbortSignal;
}

/** Starts an image job on the host and waits for its result. */
export function runImageJob(host: StudioHost, request: ImageGenerationRequest, hooks: ImageJobHooks = {}): Promise<ImageResult> {
  return followJob(host, () => host.invoke('startImageJob', request), {
    signal: hooks.signal,
    onEvent: (event) => {
      if (isImageJobEvent(event)) hooks.onEvent?.(event);
    },
    resultOf: (event) => (event.type === 'image-done' ? event.result : undefined),
  });
}

const fields = ImageGenerationRequestSchema.shape;

/** `fp16:fp32:3` → the dynamic-precision request (the first 3 steps on fp16). */
function dynamicPrecisionOption(value: string | undefined) {
  if (value === undefined) return undefined;
  const [cheap, full, cheapSteps] = value.split(':');
  if (!cheap || !full) throw new UsageError(`--dynamic-precision must be CHEAP:FULL[:CHEAP_STEPS], e.g. int8:fp32:10, got "${value}".`);
  return { cheap, full, cheapSteps: integerOption('dynamic-precision cheap steps', cheapSteps, 0, 1000) };
}

export async function generateImage(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    model: { type: 'string' },
    prompt: { type: 'string' },
    'negative-prompt': { type: 'string' },
    steps: { type: 'string' },
    guidance: { type: 'string' },
    seed: { type: 'string' },
    scheduler: { type: 'string' },
    precision: { type: 'string' },
    'dynamic-precision': { type: 'string' },
    width: { type: 'string' },
    height: { type: 'string' },
    cfg: { type: 'string' },
    ep: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    lambda: { type: 'string' },
  });
  if (values.prompt === undefined) throw new UsageError('--prompt is required (it may be "").');
  if (values.out === undefined) throw new UsageError('--out FILE.png is required.');
  if (path.extname(values.out).toLowerCase() !== '.png') throw new UsageError(`--out must name a .png file, got "${values.out}".`);
  if (values.precision !== undefined && values['dynamic-precision'] !== undefined) throw new UsageError('--precision cannot be combined with --dynamic-precision.');
  const request: ImageGenerationRequest = {
    model: values.model,
    lambda: schemaNumberOption('lambda', values.lambda, fields.lambda),
    prompt: values.prompt,
    negativePrompt: values['negative-prompt'],
    steps: schemaNumberOption('steps', values.steps, fields.steps),
    guidance: schemaNumberOption('guidance', values.guidance, fields.guidance),
    seed: schemaNumberOption('seed', values.seed, fields.seed),
    scheduler: choiceOption('scheduler', values.scheduler, IMAGE_SCHEDULERS),
    precision: values.precision,
    dynamicPrecision: dynamicPrecisionOption(values['dynamic-precision']),
    width: schemaNumberOption('width', values.width, fields.width),
    height: schemaNumberOption('height', values.height, fields.height),
    cfgMode: choiceOption('cfg', values.cfg, fields.cfgMode.unwrap().options),
    ep: choiceOption('ep', values.ep, EXECUTION_PROVIDERS),
  };

  const host = new StudioHost({ dataDir: defaultDataDir(), bundledModelsDir: defaultModelsDir() });
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  const stopProgress = printCalibrationProgress(host);
  try {
    const result = await runImageJob(host, request, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'image-started' && event.fallbackReason) process.stderr.write(`pareto: ${event.fallbackReason}\n`);
        if (event.type === 'image-started' && event.operatingPoint) {
          const point = event.operatingPoint;
          if (point.calibrationNote) process.stderr.write(`pareto: measured the family first: ${point.calibrationNote}\n`);
          process.stderr.write(
            `pareto: λ ${point.lambda.toFixed(2)} → ${point.model} ${point.precision} at ${point.steps} steps ` +
              `(Fréchet distance ${point.frechetDistance.toFixed(2)}, ${point.sPerImage.toFixed(2)} s/image here, utility ${point.utility.toFixed(3)})\n`,
          );
        }
        if (event.type === 'image-started' && event.budget) process.stderr.write(`pareto: energy budget: ${event.budget.summary}\n`);
        if (event.type === 'image-progress' && !values.json && process.stderr.isTTY) process.stderr.write(`\rstep ${event.step}/${event.steps} (${event.precision})`);
      },
    });
    const out = path.resolve(values.out);
    writeFileAtomic(out, Buffer.from(result.png, 'base64'));
    if (values.json) {
      const { png: _png, ...rest } = result;
      process.stdout.write(JSON.stringify({ pngPath: out, ...rest }) + '\n');
    } else {
      const { metrics } = result;
      const split = Object.entries(metrics.precisionSteps).map(([precision, count]) => `${count} ${precision}`).join(' + ');
      if (process.stderr.isTTY) process.stderr.write('\n');
      process.stdout.write(`${out}\n`);
      process.stderr.write(`[${result.width}x${result.height}, ${metrics.steps} steps (${split}), ${metrics.msPerStep?.toFixed(1)} ms/step, ${metrics.sPerImage.toFixed(2)} s/image, guidance ${result.cfg}, peak ${metrics.peakRssMb.toFixed(0)} MB, ${energyLine(metrics, 'image')}, ${result.ep}]\n`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    stopProgress();
    await host.dispose();
  }
}
