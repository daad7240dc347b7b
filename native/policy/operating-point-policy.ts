/**
 * The λ policy (SPEC §3, the paper's utility U(C) = λ·Q(C)/Qmax + (1−λ)·E(C)): among a family's
 * Pareto-optimal operating points, pick the one that maximises utility for the slider's λ.
 * It knows nothing of text or images: a point is an id, a quality (higher is better) and a cost on
 * this device. For a fixed set of costs the choice is a pure function of λ, and it moves along the
 * front in one direction only: U is linear in λ with slope Q/Qmax − E, which rises with quality on
 * the front, so a larger λ never picks a point of lower quality or lower cost.
 */

export interface Candidate {
  /** Unique within the family; breaks exact ties so the same inputs always give the same point. */
  id: string;
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

/** Utilities closer than this are equal: floating-point noise must not decide between two points. */
const UTILITY_EPSILON = 1e-12;

export function checkLambda(lambda: number): void {
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`λ must be between 0 and 1 (0 = most efficient, 1 = best quality), got ${lambda}`);
}

/** Better quality first, then cheaper, then by id: the one order every tie is settled in. */
function compareCandidates(a: Candidate, b: Candidate): number {
  return b.quality - a.quality || a.cost - b.cost || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

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

/** The best of scored points: highest utility; an exact tie goes to the better quality, then the cheaper, then the id. */
function best<T extends Candidate>(scored: readonly Scored<T>[]): Scored<T> {
  return scored.reduce((winner, p) => {
    const gain = p.utility - winner.utility;
    return gain > UTILITY_EPSILON || (Math.abs(gain) <= UTILITY_EPSILON && compareCandidates(p, winner) < 0) ? p : winner;
  });
}

/**
 * C* = argmax over the Pareto front of λ·Q/Qmax + (1−λ)·E. Qmax and the cheapest cost are taken over
 * all the points offered, so E means the same whichever point the front leaves out.
 */
export function chooseOperatingPoint<T extends Candidate>(points: readonly T[], lambda: number): Scored<T> {
  if (points.length === 0) throw new RangeError('no operating points to choose from');
  checkLambda(lambda);
  const front = new Set(paretoFront(points).map((p) => p.id));
  return best(scorePoints(points, lambda).filter((p) => front.has(p.id)));
}

export interface LambdaRange {
  id: string;
  /** The λ from which this point is chosen… */
  from: number;
  /** …up to this λ (inclusive at 1). */
  to: number;
}

/**
 * Where on the slider each front point is the choice, as contiguous λ ranges in quality order
 * (a point the front keeps may win nowhere: it lies under the line between its neighbours).
 * The boundaries are the λ where two points' utilities cross.
 */
export function lambdaRanges(points: readonly Candidate[]): LambdaRange[] {
  if (points.length === 0) return [];
  const front = paretoFront(points);
  const scored = scorePoints(front, 0);
  const crossings = new Set([0, 1]);
  for (const a of scored) {
    for (const b of scored) {
      // U_a(λ) = E_a + λ(Q_a − E_a); equal where λ = (E_b − E_a) / ((Q_a − E_a) − (Q_b − E_b)).
      const slopeGap = a.qualityRatio - a.efficiency - (b.qualityRatio - b.efficiency);
      const lambda = slopeGap === 0 ? NaN : (b.efficiency - a.efficiency) / slopeGap;
      if (lambda > 0 && lambda < 1) crossings.add(lambda);
    }
  }
  const sorted = [...crossings].sort((x, y) => x - y);
  const ranges: LambdaRange[] = [];
  for (let i = 0; i < sorted.length - 1; i++) {
    const from = sorted[i]!;
    const to = sorted[i + 1]!;
    const { id } = chooseOperatingPoint(points, (from + to) / 2);
    const last = ranges.at(-1);
    if (last?.id === id) last.to = to;
    else ranges.push({ id, from, to });
  }
  return ranges;
}

/** Mean UTF-8 bytes per whitespace-separated word of the held-out TinyStories head. */
export const BYTES_PER_WORD = 5.19;

/**
 * Text quality: the probability a model gives each word of held-out text, 2^-(bits/byte × bytes/word).
 * Per word rather than per byte: per byte, a student a reader finds clearly worse is only ~10 % less likely
 * than its teacher while its cost is 3× lower, so E would decide every choice short of λ = 1.
 */
export const textQuality = (bitsPerByte: number) => 2 ** (-bitsPerByte * BYTES_PER_WORD);

/** Image quality: the inverse Fréchet distance to the real images, so Q/Qmax = FDmin/FD. */
export const imageQuality = (frechetDistance: number) => 1 / Math.max(frechetDistance, 1e-9);

/**
 * Precision variants of one network (same model, same depth or steps) whose declared qualities lie
 * this close (relative) measure the same thing: their differences are the evaluation's noise.
 */
export const QUALITY_TIE_TOLERANCE = 0.01;

/**
 * Gives tied precision variants the best quality of their tie, so the cost decides between them and
 * not a fourth decimal of the declared quality. `network` names what the variants share.
 */
export function settleQualityTies<T extends { quality: number }>(points: readonly T[], network: (point: T) => string): T[] {
  return points.map((point) => {
    const tied = points.filter((other) => network(other) === network(point) && Math.abs(other.quality - point.quality) <= QUALITY_TIE_TOLERANCE * Math.max(other.quality, point.quality));
    return { ...point, quality: Math.max(...tied.map((other) => other.quality)) };
  });
}
