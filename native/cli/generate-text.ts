import { DynamicPrecisionSchema, EXECUTION_PROVIDERS, TextGenerationRequestSchema, type TextGenerationRequest } from '../contract';
import { defaultDataDir, defaultModelsDir } from '../host/paths';
import { StudioHost } from '../host/studio-host';
import { choiceOption, integerOption, parseOptions, UsageError } from './args';
import { schemaNumberOption } from './schema-flags';
import { energyLine } from './energy-line';
import { printCalibrationProgress } from './calibration-progress';
import { runTextJob } from './run-text-job';

const fields = TextGenerationRequestSchema.shape;

/** `int8:fp32:1.5` → the dynamic-precision request. */
function dynamicPrecisionOption(value: string | undefined) {
  if (value === undefined) return undefined;
  const [cheap, full, threshold] = value.split(':');
  if (!cheap || !full) throw new UsageError(`--dynamic-precision must be CHEAP:FULL[:ENTROPY], e.g. int8:fp32:1.5, got "${value}".`);
  return { cheap, full, entropyThreshold: schemaNumberOption('dynamic-precision entropy', threshold, DynamicPrecisionSchema.shape.entropyThreshold) };
}

function windowOption(value: string | undefined): number | 'auto' | undefined {
  return value === 'auto' ? 'auto' : integerOption('window', value, 1, 1_000_000);
}

export async function generateText(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    model: { type: 'string' },
    lambda: { type: 'string' },
    prompt: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    greedy: { type: 'boolean' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
    'min-p': { type: 'string' },
    'repetition-penalty': { type: 'string' },
    'presence-penalty': { type: 'string' },
    'frequency-penalty': { type: 'string' },
    logprobs: { type: 'string' },
    stop: { type: 'string', multiple: true },
    precision: { type: 'string' },
    depth: { type: 'string' },
    window: { type: 'string' },
    sinks: { type: 'string' },
    'dynamic-precision': { type: 'string' },
    ep: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.prompt === undefined) throw new UsageError('--prompt is required (it may be "").');
  const sampling = {
    temperature: schemaNumberOption('temperature', values.temperature, fields.temperature),
    topK: schemaNumberOption('top-k', values['top-k'], fields.topK),
    topP: schemaNumberOption('top-p', values['top-p'], fields.topP),
    seed: schemaNumberOption('seed', values.seed, fields.seed),
    minP: schemaNumberOption('min-p', values['min-p'], fields.minP),
  };
  if (values.greedy && Object.values(sampling).some((value) => value !== undefined)) {
    throw new UsageError('--greedy cannot be combined with --temperature, --top-k, --top-p, --min-p or --seed.');
  }

  const host = new StudioHost({ dataDir: defaultDataDir(), bundledModelsDir: defaultModelsDir() });
  const request: TextGenerationRequest = {
    model: values.model,
    lambda: schemaNumberOption('lambda', values.lambda, fields.lambda),
    prompt: values.prompt,
    maxNewTokens: schemaNumberOption('max-new-tokens', values['max-new-tokens'], fields.maxNewTokens),
    ep: choiceOption('ep', values.ep, EXECUTION_PROVIDERS),
    repetitionPenalty: schemaNumberOption('repetition-penalty', values['repetition-penalty'], fields.repetitionPenalty),
    presencePenalty: schemaNumberOption('presence-penalty', values['presence-penalty'], fields.presencePenalty),
    frequencyPenalty: schemaNumberOption('frequency-penalty', values['frequency-penalty'], fields.frequencyPenalty),
    logprobs: schemaNumberOption('logprobs', values.logprobs, fields.logprobs),
    stop: values.stop,
    precision: values.precision,
    depth: schemaNumberOption('depth', values.depth, fields.depth),
    window: windowOption(values.window),
    sinks: schemaNumberOption('sinks', values.sinks, fields.sinks),
    dynamicPrecision: dynamicPrecisionOption(values['dynamic-precision']),
    ...(values.greedy ? { doSample: false } : sampling),
  };

  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  const stopProgress = printCalibrationProgress(host);
  try {
    const stream = values.json ? undefined : (text: string) => process.stdout.write(text);
    const result = await runTextJob(host, request, {
      onStarted: (config) => {
        const point = config.operatingPoint;
        if (point?.calibrationNote) process.stderr.write(`pareto: measured the family first: ${point.calibrationNote}\n`);
        if (point) {
          process.stderr.write(
            `pareto: λ ${point.lambda.toFixed(2)} → ${point.model} ${point.precision} at depth ${point.depth} ` +
              `(${point.bitsPerByte.toFixed(3)} bits/byte, ${point.msPerToken.toFixed(2)} ms/token here, utility ${point.utility.toFixed(3)})\n`,
          );
        }
        if (config.budget) process.stderr.write(`pareto: energy budget: ${config.budget.summary}\n`);
        if (stream && request.prompt) process.stdout.write(request.prompt);
      },
      onText: stream,
      onFallback: (reason) => process.stderr.write(`pareto: ${reason}\n`),
      signal: controller.signal,
    });
    if (values.json) {
      process.stdout.write(JSON.stringify(result) + '\n');
    } else {
      const { metrics } = result;
      const rate = metrics.tokensPerSecond === null ? '' : `, ${metrics.tokensPerSecond.toFixed(1)} tokens/s`;
      process.stdout.write('\n');
      process.stderr.write(`[${metrics.generatedTokens} tokens, ${result.finishReason}${rate}, TTFT ${metrics.ttftMs?.toFixed(1)} ms, peak ${metrics.peakRssMb.toFixed(0)} MB, ${energyLine(metrics, 'token')}, ${result.config.ep}]\n`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    stopProgress();
    await host.dispose();
  }
}
