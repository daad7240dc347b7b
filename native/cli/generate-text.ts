import { EXECUTION_PROVIDERS, type TextGenerationRequest } from '../contract';
import { defaultDataDir, defaultModelsDir } from '../host/paths';
import { StudioHost } from '../host/studio-host';
import { choiceOption, integerOption, numberOption, parseOptions, UsageError } from './args';
import { runTextJob } from './run-text-job';

export const GENERATE_TEXT_USAGE = `pareto generate text --model DIR|ID --prompt S [--max-new-tokens N]
    [--greedy | --temperature T --top-k K --top-p P --seed S] [--ep ${EXECUTION_PROVIDERS.join('|')}] [--json]`;

export async function generateText(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    model: { type: 'string' },
    prompt: { type: 'string' },
    'max-new-tokens': { type: 'string' },
    greedy: { type: 'boolean' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    seed: { type: 'string' },
    ep: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.prompt === undefined) throw new UsageError('--prompt is required (it may be "").');
  const sampling = {
    temperature: numberOption('temperature', values.temperature, Number.MIN_VALUE, 10),
    topK: integerOption('top-k', values['top-k'], 0, 1_000_000),
    topP: numberOption('top-p', values['top-p'], Number.MIN_VALUE, 1),
    seed: integerOption('seed', values.seed, 0, 0xffff_ffff),
  };
  if (values.greedy && Object.values(sampling).some((value) => value !== undefined)) {
    throw new UsageError('--greedy cannot be combined with --temperature, --top-k, --top-p or --seed.');
  }

  const host = new StudioHost({ dataDir: defaultDataDir(), bundledModelsDir: defaultModelsDir() });
  const model = values.model ?? host.settings.get().defaultModel ?? host.registry.list()[0]?.id;
  if (!model) throw new UsageError('No --model given and no model is installed; pass --model DIR.');
  const request: TextGenerationRequest = {
    model,
    prompt: values.prompt,
    maxNewTokens: integerOption('max-new-tokens', values['max-new-tokens'], 1, 32_768) ?? 128,
    ep: choiceOption('ep', values.ep, EXECUTION_PROVIDERS),
    ...(values.greedy ? { doSample: false } : sampling),
  };

  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const stream = values.json ? undefined : (text: string) => process.stdout.write(text);
    if (stream && request.prompt) process.stdout.write(request.prompt);
    const result = await runTextJob(host, request, {
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
      process.stderr.write(`[${metrics.generatedTokens} tokens, ${result.finishReason}${rate}, TTFT ${metrics.ttftMs?.toFixed(1)} ms, peak ${metrics.peakRssMb.toFixed(0)} MB, ${result.config.ep}]\n`);
    }
    return 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    await host.dispose();
  }
}
