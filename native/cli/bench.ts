import fs from 'node:fs';
import path from 'node:path';
import { EXECUTION_PROVIDERS } from '../contract';
import { benchText } from '../bench/text-bench';
import { choiceOption, integerOption, parseOptions, UsageError } from './args';

export const BENCH_USAGE = 'pareto bench text [--model DIR] [--new-tokens N] [--repeats R] [--prompt S] [--ep EP] [--json]';

const FIXTURE_MODEL = path.resolve('../shared/fixtures/tinystories-656k-onnx');

export async function bench(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    model: { type: 'string' },
    'new-tokens': { type: 'string' },
    repeats: { type: 'string' },
    prompt: { type: 'string' },
    ep: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals[0] !== 'text') throw new UsageError(`Unknown bench "${positionals[0] ?? ''}". Usage: ${BENCH_USAGE}`);
  const modelDir = values.model ?? FIXTURE_MODEL;
  if (!values.model && !fs.existsSync(modelDir)) throw new UsageError(`No --model given and the reference fixture ${modelDir} is missing.`);
  const report = await benchText({
    modelDir,
    prompt: values.prompt ?? 'Once upon a time',
    newTokens: integerOption('new-tokens', values['new-tokens'], 2, 4096) ?? 256,
    repeats: integerOption('repeats', values.repeats, 1, 100) ?? 7,
    ep: choiceOption('ep', values.ep, EXECUTION_PROVIDERS) ?? 'cpu',
  });
  if (values.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
  } else {
    process.stdout.write(
      `${report.model}: ${report.newTokens} new tokens after ${report.promptTokens} prompt tokens, ${report.repeats} runs each, ${report.ep}\n` +
        `  engine   ${report.engine.msPerTokenMedian.toFixed(3)} ms/token (median)\n` +
        `  bare run ${report.bareRun.msPerTokenMedian.toFixed(3)} ms/token (median)\n` +
        `  overhead ${report.ratios.overheadVsBareRun.toFixed(3)}× (target ≤ 1.15)\n`,
    );
  }
  return 0;
}
