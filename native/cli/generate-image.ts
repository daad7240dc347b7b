import path from 'node:path';
import { EXECUTION_PROVIDERS, IMAGE_SCHEDULERS, ImageGenerationRequestSchema, MAX_IMAGE_BATCH, type ImageGenerationRequest, isImageJobEvent, type ImageJobEvent, type ImageResult } from '../contract';
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

/** Starts an image job on the host and waits for its images. */
export function runImageJob(host: StudioHost, request: ImageGenerationRequest, hooks: ImageJobHooks = {}): Promise<ImageResult[]> {
  return followJob(host, () => host.invoke('startImageJob', request), {
    signal: hooks.signal,
    onEvent: (event) => {
      if (isImageJobEvent(event)) hooks.onEvent?.(event);
    },
    resultOf: (event) => (event.type === 'image-done' ? event.images : undefined),
  });
}

/** `7,8,42` → explicit seeds, one per image of the batch. */
function seedsOption(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const seeds = value.split(',').map((part) => integerOption('seeds', part.trim(), 0, 0xffff_ffff)!);
  if (seeds.length > MAX_IMAGE_BATCH) throw new UsageError(`--seeds lists at most ${MAX_IMAGE_BATCH} seeds, got ${seeds.length}.`);
  return seeds;
}

/** Where each image of a batch goes: FILE.png for one image, else FILE-1.png … FILE-N.png. */
export function batchImagePaths(out: string, count: number): string[] {
  if (count === 1) return [out];
  const extension = path.extname(out);
  const stem = out.slice(0, out.length - extension.length);
  return Array.from({ length: count }, (_, index) => `${stem}-${index + 1}${extension}`);
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
    batch: { type: 'string' },
    seeds: { type: 'string' },
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
  if (values.seeds !== undefined && (values.seed !== undefined || values.batch !== undefined)) throw new UsageError('--seeds sets the batch and its seeds: drop --seed and --batch.');
  const request: ImageGenerationRequest = {
    model: values.model,
    lambda: schemaNumberOption('lambda', values.lambda, fields.lambda),
    prompt: values.prompt,
    negativePrompt: values['negative-prompt'],
    steps: schemaNumberOption('steps', values.steps, fields.steps),
    guidance: schemaNumberOption('guidance', values.guidance, fields.guidance),
    seed: schemaNumberOption('seed', values.seed, fields.seed),
    batch: schemaNumberOption('batch', values.batch, fields.batch),
    seeds: seedsOption(values.seeds),
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
    let batchSize = 1;
    const images = await runImageJob(host, request, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'image-started') batchSize = event.seeds?.length ?? 1;
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
        if (event.type === 'image-progress' && !values.json && process.stderr.isTTY) {
          const which = batchSize > 1 ? `image ${(event.image ?? 0) + 1}/${batchSize}, ` : '';
          process.stderr.write(`\r${which}step ${event.step}/${event.steps} (${event.precision})`);
        }
      },
    });
    const paths = batchImagePaths(path.resolve(values.out), images.length);
    images.forEach((image, index) => writeFileAtomic(paths[index]!, Buffer.from(image.png, 'base64')));
    if (values.json) {
      images.forEach(({ png: _png, ...rest }, index) => process.stdout.write(JSON.stringify({ pngPath: paths[index], ...rest }) + '\n'));
    } else {
      const { metrics, cfg, ep } = images[0]!;
      const split = Object.entries(metrics.precisionSteps).map(([precision, count]) => `${count} ${precision}`).join(' + ');
      if (process.stderr.isTTY) process.stderr.write('\n');
      images.forEach((image, index) => process.stdout.write(images.length === 1 ? `${paths[index]}\n` : `${paths[index]}  seed ${image.parameters.seed}\n`));
      const batch = images.length === 1 ? '' : `batch of ${images.length}, `;
      process.stderr.write(`[${images[0]!.width}x${images[0]!.height}, ${batch}${metrics.steps} steps (${split}), ${metrics.msPerStep?.toFixed(1)} ms/step, ${metrics.sPerImage.toFixed(2)} s/image, guidance ${cfg}, peak ${metrics.peakRssMb.toFixed(0)} MB, ${energyLine(metrics, 'image')}, ${ep}]\n`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    stopProgress();
    await host.dispose();
  }
}
