/**
 * The λ policy (SPEC §3, the paper's utility U(C) = λ·Q(C)/Qmax + (1−λ)·E(C)): among a family's
 * Pareto-optimal operating points, pick the one that maximises utility for the slider's λ.
 * It knows nothing of text or images: a point is a quality (higher is better) and a cost on this device.
 */

export interface Candidate {
  /** Higher is better; ratios between points must mean something (Q/Qmax). */
  quality: number;
  /** What one output costs on this device (ms per token, seconds per image); lower is better. */
  cost: number;
}

export type Scored<T extends Candidate> = T & {
  /** Q(C)/Qmax, in (0, 1]. */
  qualityRatio: number;
  /** E(C): the cheapest point's cost over this one's, in (0, 1]. */
  efficiency: number;
  utility: number;
};

/** Points not dominated by another that is at least as good and at least as cheap, and better in one. */
export function paretoFront<T extends Candidate>(points: readonly T[]): T[] {
  return points.filter(
    (p) => !points.some((q) => q !== p && q.quality >= p.quality && q.cost <= p.cost && (q.quality > p.quality || q.cost < p.cost)),
  );
}

export function scorePoints<T extends Candidate>(points: readonly T[], lambda: number): Scored<T>[] {
  const bestQuality = Math.max(...points.map((p) => p.quality));
  const cheapest = Math.min(...points.map((p) => p.cost));
  return points.map((point) => {
    const qualityRatio = point.quality / bestQuality;
    const efficiency = cheapest / point.cost;
    return { ...point, qualityRatio, efficiency, utility: lambda * qualityRatio + (1 - lambda) * efficiency };
  });
}

/** C* = argmax over the Pareto front of λ·Q/Qmax + (1−λ)·E; ties go to the better quality. */
export function chooseOperatingPoint<T extends Candidate>(points: readonly T[], lambda: number): Scored<T> {
  if (points.length === 0) throw new RangeError('no operating points to choose from');
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`λ must be between 0 and 1, got ${lambda}`);
  const scored = scorePoints(paretoFront(points), lambda);
  return scored.reduce((best, p) =>
    p.utility > best.utility + 1e-12 || (Math.abs(p.utility - best.utility) <= 1e-12 && p.qualityRatio > best.qualityRatio) ? p : best,
  );
}

/** Text quality: the probability a model gives each byte of held-out text, 2^-bits-per-byte. */
export const textQuality = (bitsPerByte: number) => 2 ** -bitsPerByte;

/** Image quality: the inverse Fréchet distance to the real images, so Q/Qmax = FDmin/FD. */
export const imageQuality = (frechetDistance: number) => 1 / Math.max(frechetDistance, 1e-9);
