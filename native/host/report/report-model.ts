import { isEstimatedSource, REPORT_LAMBDAS, type FamilyReport, type ReportEnergy, type ReportPoint, type Spread, type UtilityCurve } from '../../contract';
import { median } from '../../metering/statistics';
import { chooseOperatingPoint, imageQuality, paretoFront, scorePoints, settleQualityTies, textQuality, type Candidate } from '../../policy/operating-point-policy';

/** One counted run of a point: what the profiler measured for it. */
export interface PointRun {
  /** ms/token or s/image. */
  cost: number;
  peakRssMb: number;
  joulesPerOutput: number | null;
  energySource: string | null;
  /** An estimate's joules per output, low to high; null when measured. */
  energyRange: { low: number; high: number } | null;
}

/** A point as measured, before anything is derived from it. */
export interface MeasuredPoint {
  id: string;
  model: string;
  role: 'teacher' | 'student' | null;
  precision: string;
  depth: number | null;
  steps: number | null;
  parameters: number | null;
  bytes: number;
  quality: { value: number; coherence: number | null } | null;
  runs: PointRun[];
}

export interface FamilyMeasurement {
  kind: 'text' | 'image';
  family: string;
  points: MeasuredPoint[];
  repeats: number;
  tokens: number | null;
  problems: string[];
}

/** What the deployability term needs to know about this device. */
export interface DeviceFacts {
  memoryMb: number;
  providerAvailable: boolean;
}

function spread(values: readonly number[]): Spread {
  return { median: median(values), low: Math.min(...values), high: Math.max(...values) };
}

function energyOf(runs: readonly PointRun[]): ReportEnergy {
  const joules = runs.flatMap((run) => (run.joulesPerOutput === null ? [] : [run.joulesPerOutput]));
  const source = runs.find((run) => run.energySource !== null)?.energySource ?? null;
  const ranges = runs.flatMap((run) => (run.energyRange ? [run.energyRange] : []));
  return {
    perOutput: joules.length ? spread(joules) : null,
    source,
    estimated: isEstimatedSource(source),
    estimateRange: ranges.length ? { low: Math.min(...ranges.map((range) => range.low)), high: Math.max(...ranges.map((range) => range.high)) } : null,
  };
}

/** S(C) = 1 − ½·log(bytes/smallest)/log(largest/smallest): 1 for the family's smallest file, ½ for its largest. */
export function sizeScoreOf(bytes: number, smallest: number, largest: number): number {
  return largest > smallest ? 1 - (0.5 * Math.log(bytes / smallest)) / Math.log(largest / smallest) : 1;
}

/** The largest file of a model at a depth: its full-precision file, which holds every weight that depth runs. */
function widestAt(points: readonly MeasuredPoint[], model: string, depth: number | null): number {
  return Math.max(...points.filter((point) => point.model === model && point.depth === depth).map((point) => point.bytes));
}

/**
 * What one output costs in parameters: for text the parameters a depth runs (the package's parameters
 * scaled by its full-precision file at that depth over the full depth's), for images parameters × steps.
 */
function complexityOf(point: MeasuredPoint, points: readonly MeasuredPoint[]): number | null {
  if (point.parameters === null) return null;
  if (point.steps !== null) return point.parameters * point.steps;
  const fullDepth = Math.max(...points.filter((other) => other.model === point.model).map((other) => other.depth ?? 0));
  return (point.parameters * widestAt(points, point.model, point.depth)) / widestAt(points, point.model, fullDepth);
}

/** The compression reference: the teacher's largest file (its full point), else the family's largest. */
function referenceBytes(points: readonly MeasuredPoint[]): number {
  const teachers = points.filter((point) => point.role === 'teacher');
  return Math.max(...(teachers.length ? teachers : points).map((point) => point.bytes));
}

/** The utility curve of one λ over the front, cheapest first, and the point it picks. */
export function utilityCurve(candidates: readonly Candidate[], lambda: number): UtilityCurve {
  const front = new Set(paretoFront(candidates).map((point) => point.id));
  const points = scorePoints(candidates, lambda)
    .filter((point) => front.has(point.id))
    .sort((a, b) => a.cost - b.cost)
    .map(({ id, cost, utility }) => ({ id, cost, utility }));
  return { lambda, points, chosen: chooseOperatingPoint(candidates, lambda).id };
}

/**
 * A family's Table 1 and figure data from its measurements: ratios against the teacher, Q/Qmax
 * (tied precision variants at their tie's best, as λ sees them), E, the front, U at each report λ,
 * deployability and the index. Points whose package declares no quality keep their measured cost.
 */
export function buildFamilyReport(measurement: FamilyMeasurement, device: DeviceFacts): FamilyReport {
  const { kind } = measurement;
  const measured = measurement.points.filter((point) => point.runs.length > 0);
  const costs = new Map(measured.map((point) => [point.id, spread(point.runs.map((run) => run.cost))]));
  const toQuality = kind === 'text' ? textQuality : imageQuality;
  const declared = measured.filter((point) => point.quality !== null);
  const candidates: Candidate[] = settleQualityTies(
    declared.map((point) => ({ id: point.id, network: `${point.model}@${point.depth ?? point.steps}`, quality: toQuality(point.quality!.value), cost: costs.get(point.id)!.median })),
    (point) => point.network,
  ).map(({ id, quality, cost }) => ({ id, quality, cost }));
  const scored = new Map(scorePoints(candidates, 0.5).map((point) => [point.id, point]));
  const front = new Set(paretoFront(candidates).map((point) => point.id));
  const cheapest = Math.min(...[...costs.values()].map((cost) => cost.median));
  const smallest = Math.min(...measured.map((point) => point.bytes));
  const largest = Math.max(...measured.map((point) => point.bytes));
  const reference = referenceBytes(measured);

  const points: ReportPoint[] = measured.map((point) => {
    const cost = costs.get(point.id)!;
    const peakRssMb = Math.max(...point.runs.map((run) => run.peakRssMb));
    const efficiency = cheapest / cost.median;
    const sizeScore = sizeScoreOf(point.bytes, smallest, largest);
    const fitsInMemory = peakRssMb <= device.memoryMb;
    const deployability = { fitsInMemory, providerAvailable: device.providerAvailable, sizeScore, score: (fitsInMemory ? 1 : 0) * (device.providerAvailable ? 1 : 0) * sizeScore };
    const score = scored.get(point.id);
    const { runs, ...given } = point;
    return {
      ...given,
      complexity: complexityOf(point, measured),
      compressionRatio: reference / point.bytes,
      cost,
      samples: runs.map((run) => run.cost),
      throughput: (kind === 'text' ? 1000 : 1) / cost.median,
      peakRssMb,
      energy: energyOf(runs),
      qualityRatio: score?.qualityRatio ?? null,
      efficiency,
      paretoScore: score?.utility ?? null,
      onFront: score ? front.has(point.id) : null,
      deployability,
      index: score ? Math.cbrt(score.qualityRatio * efficiency * deployability.score) : null,
    };
  });

  const problems = [...measurement.problems];
  if (declared.length === 0 && measured.length > 0) problems.push(`${measurement.family}: its packages declare no quality (pareto.json), so only the measured cost is reported; quality, the front, U(C) and the index are unknown.`);
  return {
    kind,
    family: measurement.family,
    unit: kind === 'text' ? 'ms/token' : 's/image',
    output: kind === 'text' ? 'token' : 'image',
    qualityMeasure: kind === 'text' ? 'bits/byte' : 'Fréchet distance',
    complexityMeasure: kind === 'text' ? 'active parameters' : 'parameters × steps',
    coherenceMeasure: kind === 'text' ? 'repetition' : 'faithfulness',
    points,
    utility: candidates.length ? REPORT_LAMBDAS.map((lambda) => utilityCurve(candidates, lambda)) : [],
    repeats: measurement.repeats,
    tokens: measurement.tokens,
    problems,
  };
}
