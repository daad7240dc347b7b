import { median } from '../metering/statistics';

/**
 * What a family's points cost, kept in two parts (SPEC §3 Ê): each point's cost relative to the
 * others, measured together in one interleaved batch so they share the same conditions, and the
 * absolute level those relative costs are multiplied by, which moves with the machine's load and
 * is refreshed from every run. The level scales every point alike, so it never reorders the front:
 * only a recalibration can, and then only where a point moved by more than its measured noise.
 */

/** One point's cost relative to its family, from the interleaved repeats. */
export interface PointCalibration {
  /** Its median cost over the batch's reference (the geometric mean of every point's median). */
  relative: number;
  /** The repeats' spread around that median, as factors: low ≤ 1 ≤ high. */
  low: number;
  high: number;
  samples: number;
  /** The identity of the files it ran (size and time of each); a changed file is measured again. */
  fileId: string;
}

export interface CalibrationLevel {
  /** Cost per unit of relative cost: predicted cost = relative × value. */
  value: number;
  /** Mean |log(run's level / level)| over recent runs: how far one run strays from the level. */
  drift: number;
  runs: number;
  updatedAt: string;
}

export interface FamilyCalibration {
  /** The conditions the batch ran under (provider, threads, graph optimisation); others mean measuring again. */
  conditions: string;
  calibratedAt: string;
  repeats: number;
  points: Record<string, PointCalibration>;
  level: CalibrationLevel;
  /** What the last recalibration changed by more than the noise, in words; empty when nothing did. */
  changes: string[];
}

export interface CostEstimate {
  median: number;
  low: number;
  high: number;
}

/** No estimate is tighter than this (relative): the timer, caches and scheduling move every run by about as much. */
export const MIN_SPREAD = 0.02;

/** Slack for floating-point rounding at a spread's edge. */
const ROUNDING = 1 + 1e-9;

/** How much the newest run counts in the level: recent load counts most, one outlier does not rule. */
const LEVEL_WEIGHT = 0.3;

const geometricMean = (values: readonly number[]) => Math.exp(values.reduce((sum, value) => sum + Math.log(value), 0) / values.length);

export interface BatchPoint {
  id: string;
  fileId: string;
  /** The costs of the counted repeats (warm-up excluded). */
  samples: number[];
}

/** Turns one interleaved batch into a family calibration. */
export function summarizeBatch(batch: readonly BatchPoint[], conditions: string, repeats: number, now = new Date()): FamilyCalibration {
  const medians = batch.map((point) => median(point.samples));
  const reference = geometricMean(medians);
  const points: Record<string, PointCalibration> = {};
  batch.forEach((point, index) => {
    const middle = medians[index]!;
    points[point.id] = {
      relative: middle / reference,
      low: Math.min(1 - MIN_SPREAD, Math.min(...point.samples) / middle),
      high: Math.max(1 + MIN_SPREAD, Math.max(...point.samples) / middle),
      samples: point.samples.length,
      fileId: point.fileId,
    };
  });
  return { conditions, calibratedAt: now.toISOString(), repeats, points, level: { value: reference, drift: 0, runs: 0, updatedAt: now.toISOString() }, changes: [] };
}

/**
 * The fresh batch's relative costs carry their own normalisation, so before comparing point by point
 * they are brought to the stored scale: the factor s (fresh = s × stored) that puts the most points'
 * fresh medians inside their stored spread (the middle of those factors; the lowest such range on a tie). A whole-batch shift in
 * load or in the reference then cancels, and what is left is each point's own movement.
 */
function alignScale(stored: Record<string, PointCalibration>, fresh: Record<string, PointCalibration>): number {
  const windows = Object.entries(fresh).flatMap(([id, measured]) => {
    const kept = stored[id];
    return kept && kept.fileId === measured.fileId ? [{ from: measured.relative / (kept.relative * kept.high), to: measured.relative / (kept.relative * kept.low) }] : [];
  });
  let best = { from: 1, to: 1, covered: -1 };
  for (const { from } of [...windows].sort((a, b) => a.from - b.from)) {
    const covering = windows.filter((window) => window.from <= from * ROUNDING && from <= window.to * ROUNDING);
    if (covering.length > best.covered) best = { from, to: Math.min(...covering.map((window) => window.to)), covered: covering.length };
  }
  // The middle (geometric) of the scales that cover the most points.
  return Math.sqrt(best.from * Math.max(best.from, best.to));
}

/**
 * A recalibration under the same conditions keeps every point whose new measurement lies within the
 * stored spread (on the stored scale), so noise never moves a choice; the others take the new value,
 * and the change is said in words. `label` names a point for those words.
 */
export function mergeCalibration(previous: FamilyCalibration | null, fresh: FamilyCalibration, label: (id: string) => string): FamilyCalibration {
  if (!previous || previous.conditions !== fresh.conditions) return fresh;
  const scale = alignScale(previous.points, fresh.points);
  const points: Record<string, PointCalibration> = {};
  const changes: string[] = [];
  for (const [id, measured] of Object.entries(fresh.points)) {
    const stored = previous.points[id];
    const relative = measured.relative / scale;
    if (stored && stored.fileId === measured.fileId && stored.relative * stored.low <= relative * ROUNDING && relative <= stored.relative * stored.high * ROUNDING) {
      points[id] = stored;
    } else {
      points[id] = { ...measured, relative };
      if (stored) changes.push(`${label(id)} now costs ${relative.toFixed(2)}× the family's reference (was ${stored.relative.toFixed(2)}×, outside its measured spread)`);
    }
  }
  return { ...fresh, points, level: { ...fresh.level, value: fresh.level.value * scale }, changes };
}

/** A run of one point refreshes the level (never the relative costs). */
export function refreshLevel(calibration: FamilyCalibration, pointId: string, measuredCost: number, now = new Date()): FamilyCalibration {
  const point = calibration.points[pointId];
  if (!point || !(measuredCost > 0)) return calibration;
  const { level } = calibration;
  const observed = measuredCost / point.relative;
  const value = level.value * (1 - LEVEL_WEIGHT) + observed * LEVEL_WEIGHT;
  const drift = level.drift * (1 - LEVEL_WEIGHT) + Math.abs(Math.log(observed / level.value)) * LEVEL_WEIGHT;
  return { ...calibration, level: { value, drift, runs: level.runs + 1, updatedAt: now.toISOString() } };
}

/** The predicted cost of a point: relative cost × level, widened by the repeats' spread and by how far runs stray from the level. */
export function predictCost(calibration: FamilyCalibration, pointId: string): CostEstimate | null {
  const point = calibration.points[pointId];
  if (!point) return null;
  const cost = point.relative * calibration.level.value;
  const widen = Math.exp(calibration.level.drift);
  return { median: cost, low: (cost * point.low) / widen, high: cost * point.high * widen };
}
