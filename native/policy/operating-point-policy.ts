/**
 * The λ policy (SPEC §3, the paper's utility U(C) = λ·Q(C)/Qmax + (1−λ)·E(C)): among a family's
 * Pareto-optimal operating points, pick the one that maximises utility for the slider's λ.
 */

/** One runnable configuration of a model family, with what it costs and how good it is. */
export interface OperatingPoint {
  /** Absolute path of the model folder. */
  modelDir: string;
  model: string;
  precision: string;
  depth: number;
  /** Held-out bits per byte measured offline (lower is better). */
  bitsPerByte: number;
  /** Cost on this device: measured ms/token, or an estimate until measured. */
  msPerToken: number;
  measured: boolean;
}

export interface ScoredPoint extends OperatingPoint {
  /** Q(C)/Qmax: quality relative to the family's best, in (0, 1]. */
  quality: number;
  /** E(C): the fastest point's cost over this one's, in (0, 1]. */
  efficiency: number;
  utility: number;
}

/**
 * Quality as the probability the model gives each byte of held-out text, 2^-bpb: higher is
 * better and ratios between points stay meaningful, as the paper's Q/Qmax needs.
 */
const qualityOf = (point: OperatingPoint) => 2 ** -point.bitsPerByte;

/** Points not dominated by another that is at least as good and at least as fast, and better in one. */
export function paretoFront<T extends OperatingPoint>(points: readonly T[]): T[] {
  return points.filter(
    (p) =>
      !points.some(
        (q) => q !== p && qualityOf(q) >= qualityOf(p) && q.msPerToken <= p.msPerToken && (qualityOf(q) > qualityOf(p) || q.msPerToken < p.msPerToken),
      ),
  );
}

export function scorePoints(points: readonly OperatingPoint[], lambda: number): ScoredPoint[] {
  const bestQuality = Math.max(...points.map(qualityOf));
  const fastest = Math.min(...points.map((p) => p.msPerToken));
  return points.map((point) => {
    const quality = qualityOf(point) / bestQuality;
    const efficiency = fastest / point.msPerToken;
    return { ...point, quality, efficiency, utility: lambda * quality + (1 - lambda) * efficiency };
  });
}

/** C* = argmax over the Pareto front of λ·Q/Qmax + (1−λ)·E; ties go to the better quality. */
export function chooseOperatingPoint(points: readonly OperatingPoint[], lambda: number): ScoredPoint {
  if (points.length === 0) throw new RangeError('no operating points to choose from');
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`λ must be between 0 and 1, got ${lambda}`);
  const scored = scorePoints(paretoFront(points), lambda);
  return scored.reduce((best, p) => (p.utility > best.utility + 1e-12 || (Math.abs(p.utility - best.utility) <= 1e-12 && p.quality > best.quality) ? p : best));
}
