import { EXECUTION_PROVIDERS, type CalibrationResult, type PlanPreview } from '../contract';
import { defaultDataDir, defaultModelsDir } from '../host/paths';
import { StudioHost } from '../host/studio-host';
import { choiceOption, integerOption, parseOptions } from './args';
import { printCalibrationProgress } from './calibration-progress';


function formatCost(value: number, unit: PlanPreview['unit']): string {
  return unit === 'ms/token' ? value.toFixed(2) : value.toFixed(3);
}

/** The family's points as now calibrated: predicted cost (median, spread) and quality, the front marked. */
function describeFamily(preview: PlanPreview): string {
  const lines = [`${preview.family} (${preview.kind}, ${preview.unit}, ${preview.calibration.device}):`];
  for (const point of preview.points) {
    const cost = point.cost ? `${formatCost(point.cost.median, preview.unit)} (${formatCost(point.cost.low, preview.unit)}–${formatCost(point.cost.high, preview.unit)})` : 'not measured';
    const declared = point.bitsPerByte !== null ? `${point.bitsPerByte.toFixed(4)} bits/byte` : `Fréchet ${point.frechetDistance!.toFixed(2)}`;
    const range = point.lambdaRange ? `  λ ${point.lambdaRange.from.toFixed(2)}–${point.lambdaRange.to.toFixed(2)}` : '';
    lines.push(`  ${point.onFront ? '*' : ' '} ${point.id.padEnd(38)} ${cost.padEnd(24)} ${declared}${range}`);
  }
  return lines.join('\n');
}

function describeResult(result: CalibrationResult): string {
  const changes = result.changes.length ? `\n  changed beyond the noise: ${result.changes.join('; ')}` : '';
  return `Calibrated ${result.family} (${result.kind}): ${result.points} points × ${result.repeats} interleaved repeats in ${(result.durationMs / 1000).toFixed(1)} s${changes}`;
}

/** `pareto calibrate`: times a family's operating points together on this device, with progress, and shows what λ now sees. */
export async function calibrate(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    family: { type: 'string' },
    kind: { type: 'string' },
    repeats: { type: 'string' },
    tokens: { type: 'string' },
    ep: { type: 'string' },
    json: { type: 'boolean' },
  });
  const host = new StudioHost({ dataDir: defaultDataDir(), bundledModelsDir: defaultModelsDir() });
  const unsubscribe = values.json ? () => {} : printCalibrationProgress(host);
  try {
    const ep = choiceOption('ep', values.ep, EXECUTION_PROVIDERS);
    const results = await host.invoke('calibrate', {
      family: values.family,
      kind: choiceOption('kind', values.kind, ['text', 'image'] as const),
      repeats: integerOption('repeats', values.repeats, 1, 50),
      tokens: integerOption('tokens', values.tokens, 2, 1024),
      ep,
    });
    const models = await host.invoke('listModels');
    const { lambda } = await host.invoke('getSettings');
    const previews = await Promise.all(
      results.map((result) => {
        const member = models.find((model) => model.kind === result.kind && model.family === result.family)!;
        return host.invoke('planPreview', { family: result.kind, model: member.id, lambda, ep });
      }),
    );
    if (values.json) process.stdout.write(JSON.stringify({ results, families: previews }) + '\n');
    else process.stdout.write(results.map((result, index) => `${describeResult(result)}\n${describeFamily(previews[index]!)}`).join('\n\n') + '\n');
    return 0;
  } finally {
    unsubscribe();
    await host.dispose();
  }
}
