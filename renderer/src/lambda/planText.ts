import type { LambdaPreset, PlanPoint, PlanPreview } from '../../../native/contract';
import { formatLambda, formatLayers } from '../format';

export type CostUnit = PlanPreview['unit'];

/** Costs with the digits a spread needs to mean something: 0.31, 3.25, 12.5 ms/token; 0.018, 0.32, 12.5 s/image. */
export function formatCost(value: number, unit: CostUnit): string {
  const decimals = value >= 100 ? 0 : value >= 10 ? 1 : unit === 's/image' && value < 0.1 ? 3 : 2;
  return value.toFixed(decimals);
}

/** "0.31 ms/token (0.30–0.42)": a predicted cost with its spread. */
export function formatCostRange(cost: { median: number; low: number; high: number }, unit: CostUnit): string {
  return `${formatCost(cost.median, unit)} ${unit} (${formatCost(cost.low, unit)}–${formatCost(cost.high, unit)})`;
}

/** The point without its cost: "pareto-stories-student-s · fp16 · 2 layers". */
export function formatPlanPointShort(point: PlanPoint): string {
  const size = point.depth !== null ? formatLayers(point.depth) : `${point.steps} step${point.steps === 1 ? '' : 's'}`;
  return [point.model, point.precision, size].join(' · ');
}

/** The declared quality: "1.21 bits/byte" or "Fréchet 8.25". */
export function formatDeclaredQuality(point: PlanPoint): string {
  return point.bitsPerByte !== null ? `${point.bitsPerByte.toFixed(2)} bits/byte` : `Fréchet ${point.frechetDistance!.toFixed(2)}`;
}

/** What the preview will run: the point, its quality and, once calibrated, its predicted cost with spread. */
export function formatPlanPoint(point: PlanPoint, unit: CostUnit): string {
  return [formatPlanPointShort(point), formatDeclaredQuality(point), ...(point.cost ? [formatCostRange(point.cost, unit)] : [])].join(' · ');
}

function percent(ratio: number): string {
  return `${Math.abs(ratio * 100).toFixed(ratio > -0.1 && ratio < 0.1 ? 1 : 0)}%`;
}

/** The last preview the user saw, to say why the next one chose differently. */
export interface ShownChoice {
  lambda: number;
  chosen: PlanPoint;
  calibratedAt: string | null;
}

/**
 * Why the choice changed between two previews, in one line, or null when it did not: a recalibration
 * that moved a point by more than its noise, or λ crossing the boundary where the new point's quality
 * gain starts to outweigh its cost (or its saving outweighs the quality it gives up).
 */
export function describeChoiceChange(previous: ShownChoice | null, preview: PlanPreview): string | null {
  const chosen = preview.points.find((point) => point.id === preview.chosen);
  if (!previous || !chosen || previous.chosen.id === chosen.id) return null;
  if (previous.calibratedAt !== preview.calibration.calibratedAt) {
    const changes = preview.calibration.changes;
    return `Recalibrated${changes.length ? `: ${changes.join('; ')}` : ''} — λ ${formatLambda(preview.lambda)} now runs ${formatPlanPointShort(chosen)}.`;
  }
  const before = previous.chosen;
  const qualityChange = chosen.quality / before.quality - 1;
  const costRatio = chosen.cost && before.cost ? chosen.cost.median / before.cost.median : null;
  const cost = costRatio === null ? '' : ` for ${costRatio >= 1 ? `${costRatio.toFixed(2)}× the cost` : `${percent(1 - costRatio)} less cost`}`;
  const range = chosen.lambdaRange;
  const boundary = range ? (preview.lambda >= previous.lambda ? range.from : range.to) : null;
  const where = boundary === null ? '' : ` past ${formatLambda(boundary)}`;
  const quality = qualityChange >= 0 ? `${percent(qualityChange)} more quality` : `${percent(qualityChange)} less quality`;
  return `λ moved${where}: ${formatPlanPointShort(chosen)} gives ${quality}${cost}.`;
}

/** How a run's measured cost compares with what was predicted for it. */
export function comparePrediction(predicted: { median: number; low: number; high: number }, measured: number, unit: CostUnit): { within: boolean; text: string } {
  const within = measured >= predicted.low && measured <= predicted.high;
  const verdict = within ? 'within the spread' : measured > predicted.high ? 'slower than predicted' : 'faster than predicted';
  return { within, text: `Measured ${formatCost(measured, unit)} ${unit}, predicted ${formatCostRange(predicted, unit)}: ${verdict}` };
}

/** The preset the slider sits on, if any (presets are λ values with names). */
export function activePreset(presets: readonly LambdaPreset[], lambda: number): LambdaPreset | null {
  return presets.find((preset) => Math.abs(preset.lambda - lambda) < 1e-9) ?? null;
}
