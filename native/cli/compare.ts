import path from 'node:path';
import { compareModeLabel, EXECUTION_PROVIDERS, type CompareMode, type ComparePane, type CompareRequest, type CompareResult } from '../contract';
import { writeFileAtomic } from '../shared/atomic-file';
import { followJob } from '../host/follow-job';
import { defaultDataDir, defaultModelsDir } from '../host/paths';
import { StudioHost } from '../host/studio-host';
import { choiceOption, integerOption, numberOption, parseOptions, UsageError } from './args';


/** `0,0.5,1` → one λ mode per value. */
function lambdaModes(value: string | undefined): CompareMode[] {
  if (value === undefined) return [];
  return value.split(',').map((part) => ({ lambda: numberOption('lambda', part.trim(), 0, 1)! }));
}

/** `pareto-stories-student-s:int8:2` → a hand-set point; the number is the depth for text and the steps for images. */
export function pointMode(kind: 'text' | 'image', value: string): CompareMode {
  const parts = value.split(':');
  const count = parts.length >= 3 ? parts.pop() : undefined;
  const precision = parts.length >= 2 ? parts.pop() : undefined;
  const model = parts.join(':');
  if (!model) throw new UsageError(`--point must be MODEL[:PRECISION[:${kind === 'text' ? 'DEPTH' : 'STEPS'}]], got "${value}".`);
  const knob = kind === 'text' ? 'depth' : 'steps';
  const number = integerOption(`point ${knob}`, count, 1, kind === 'text' ? 1024 : 1000);
  return { model, precision: precision || undefined, [knob]: number };
}

function describePane(pane: ComparePane): string {
  const head = `── ${compareModeLabel(pane.mode)}`;
  if (!pane.point || !pane.figures) return `${head}: ${pane.status}${pane.error ? ` (${pane.error})` : ''}`;
  const { point, figures } = pane;
  const knob = point.steps !== null ? `${point.steps} steps` : `depth ${point.depth}`;
  const cost = figures.sPerImage !== null ? `${figures.sPerImage.toFixed(2)} s/image` : `${figures.msPerToken?.toFixed(2)} ms/token, ${figures.tokensPerSecond?.toFixed(1)} tokens/s, TTFT ${figures.ttftMs?.toFixed(1)} ms`;
  const quality = figures.bitsPerByte !== null ? `, ${figures.bitsPerByte.toFixed(3)} bits/byte` : figures.frechetDistance !== null ? `, Fréchet ${figures.frechetDistance.toFixed(2)}` : '';
  const energy = figures.energyJ === null ? '' : `, ${figures.energyJ.toFixed(2)} J${figures.energyEstimated ? ' (estimated)' : ''}`;
  const best = pane.best.length ? ` · best: ${pane.best.join(', ')}` : '';
  return `${head} → ${point.model} ${point.precision} ${knob} on ${point.provider}: ${cost}, peak ${figures.peakRssMb?.toFixed(0)} MB${energy}${quality}${best}`;
}

export async function compare(args: string[]): Promise<number> {
  const [kind, ...rest] = args;
  if (kind !== 'text' && kind !== 'image') throw new UsageError(`Unknown compare target "${kind ?? ''}"; expected "text" or "image".`);
  const { values } = parseOptions(rest, {
    prompt: { type: 'string' },
    seed: { type: 'string' },
    lambda: { type: 'string' },
    point: { type: 'string', multiple: true },
    'max-new-tokens': { type: 'string' },
    temperature: { type: 'string' },
    'top-k': { type: 'string' },
    'top-p': { type: 'string' },
    'negative-prompt': { type: 'string' },
    guidance: { type: 'string' },
    ep: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.prompt === undefined) throw new UsageError('--prompt is required (it may be "").');
  if (values.out !== undefined && (kind !== 'image' || path.extname(values.out).toLowerCase() !== '.png')) throw new UsageError('--out names the grid .png of an image comparison.');
  const modes = [...lambdaModes(values.lambda), ...(values.point ?? []).map((point) => pointMode(kind, point))];
  const shared = { prompt: values.prompt, seed: integerOption('seed', values.seed, 0, 0xffff_ffff), modes, ep: choiceOption('ep', values.ep, EXECUTION_PROVIDERS) };
  const request: CompareRequest =
    kind === 'text'
      ? {
          kind,
          ...shared,
          maxNewTokens: integerOption('max-new-tokens', values['max-new-tokens'], 1, 32_768),
          temperature: numberOption('temperature', values.temperature, Number.MIN_VALUE, 10),
          topK: integerOption('top-k', values['top-k'], 0, 1_000_000),
          topP: numberOption('top-p', values['top-p'], Number.MIN_VALUE, 1),
        }
      : { kind, ...shared, negativePrompt: values['negative-prompt'], guidance: numberOption('guidance', values.guidance, 0, 50) };

  const host = new StudioHost({ dataDir: defaultDataDir(), bundledModelsDir: defaultModelsDir() });
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const result = await followJob<CompareResult>(host, () => host.invoke('startCompare', request), {
      signal: controller.signal,
      resultOf: (event) => (event.type === 'compare-done' ? event.result : undefined),
    });
    if (values.out && result.gridPng) writeFileAtomic(path.resolve(values.out), Buffer.from(result.gridPng, 'base64'));
    if (values.json) {
      process.stdout.write(JSON.stringify(result) + '\n');
    } else {
      for (const pane of result.panes) {
        process.stderr.write(describePane(pane) + '\n');
        if (pane.text) process.stdout.write(`${result.prompt}${pane.text.text}\n`);
      }
      if (values.out && result.gridPng) process.stdout.write(`${path.resolve(values.out)}\n`);
    }
    return result.panes.some((pane) => pane.status === 'error') ? 1 : 0;
  } finally {
    process.off('SIGINT', onInterrupt);
    await host.dispose();
  }
}
