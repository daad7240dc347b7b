import type { BatchPoint } from './calibration';

export interface MeasurablePoint {
  id: string;
  fileId: string;
  label: string;
  /** One run of the point, measured as the profiler measures a run; returns its cost. */
  measure: () => Promise<number>;
}

export interface CalibrationProgress {
  done: number;
  total: number;
  /** The point about to be measured, null once the batch is over. */
  point: string | null;
}

/**
 * The order of one round: each round starts one point further along and alternate rounds run
 * backwards, so no point always runs first (cold) or right after the same neighbour.
 */
export function roundOrder<T>(points: readonly T[], round: number): T[] {
  const shift = round % points.length;
  const rotated = [...points.slice(shift), ...points.slice(0, shift)];
  return round % 2 ? rotated.reverse() : rotated;
}

/**
 * Times a family's points together: one warm-up round (sessions load, caches fill; not counted),
 * then `repeats` interleaved rounds, so every point is measured under the same conditions.
 */
export async function measureInterleaved(points: readonly MeasurablePoint[], repeats: number, onProgress: (progress: CalibrationProgress) => void, signal?: AbortSignal): Promise<BatchPoint[]> {
  const samples = new Map(points.map((point) => [point.id, [] as number[]]));
  const total = points.length * (repeats + 1);
  let done = 0;
  for (let round = 0; round <= repeats; round++) {
    for (const point of roundOrder(points, round)) {
      if (signal?.aborted) throw new Error('Calibration cancelled.');
      onProgress({ done, total, point: point.label });
      const cost = await point.measure();
      if (round > 0) samples.get(point.id)!.push(cost);
      done += 1;
    }
  }
  onProgress({ done, total, point: null });
  return points.map((point) => ({ id: point.id, fileId: point.fileId, samples: samples.get(point.id)! }));
}
