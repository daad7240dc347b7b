import crypto from 'node:crypto';
import { ApiError, type CalibrationResult, type CalibrationStatus, type ExecutionProvider, type PlanPoint, type PlanPreview } from '../contract';
import { mergeCalibration, predictCost, refreshLevel, summarizeBatch, type CostEstimate, type FamilyCalibration } from './calibration';
import { CalibrationStore } from './calibration-store';
import { measureInterleaved, type CalibrationProgress } from './calibrator';
import { chooseOperatingPoint, lambdaRanges, paretoFront, scorePoints, settleQualityTies } from './operating-point-policy';

/** One operating point of a family, as the host offers it: what it is, what it declares, how to run it once. */
export interface FamilyPoint {
  /** MODEL:PRECISION:DEPTH (text) or MODEL:PRECISION:STEPS (images). */
  id: string;
  model: string;
  modelDir: string;
  precision: string;
  depth: number | null;
  steps: number | null;
  /** From the declared quality: 2^-bits/byte, or 1/Fréchet distance. */
  quality: number;
  bitsPerByte: number | null;
  frechetDistance: number | null;
  faithfulness: number | null;
  fileId: string;
  /** What its precision variants share (model and depth or steps): ties in quality are settled among them. */
  network: string;
  /** One run, measured as the profiler measures a run; returns ms/token or s/image. */
  measure: () => Promise<number>;
}

export interface FamilySpec {
  kind: 'text' | 'image';
  name: string;
  ep: ExecutionProvider;
  /** Provider, threads and graph optimisation, in words: a calibration holds only under the conditions it ran in. */
  conditions: string;
  points: FamilyPoint[];
}

/** Progress of one calibration batch; `batchId` tells batches apart. */
export type BatchProgress = CalibrationProgress & { batchId: string };

/** Knobs the user fixed by hand: λ chooses among the points that match them. */
export interface Knobs {
  precision?: string;
  depth?: number;
  steps?: number;
  /** Only these model folders (dynamic precision needs both of its variants in one model). */
  modelDirs?: readonly string[];
}

/** What λ chose, with the utility terms it was weighed by and the cost predicted for it. */
export interface ChosenPoint {
  point: FamilyPoint;
  /** Q/Qmax and E of the point among those offered, and U = λ·Q/Qmax + (1−λ)·E. */
  quality: number;
  efficiency: number;
  utility: number;
  predicted: CostEstimate;
  calibrationNote: string | null;
}

const UNITS = { text: 'ms/token', image: 's/image' } as const;

function matchesKnobs(point: FamilyPoint, knobs: Knobs): boolean {
  const modelAllowed = knobs.modelDirs?.includes(point.modelDir) ?? true;
  return modelAllowed && (knobs.precision ?? point.precision) === point.precision && (knobs.depth ?? point.depth) === point.depth && (knobs.steps ?? point.steps) === point.steps;
}

function describePoint(point: FamilyPoint): string {
  return `${point.model} ${point.precision} ${point.depth !== null ? `depth ${point.depth}` : `${point.steps} steps`}`;
}

/**
 * Turns λ into a family's operating point (SPEC §3): qualities from pareto.json, costs from this
 * device's calibration. The choice is a pure function of λ, the knobs and the stored calibration,
 * which changes only by a recalibration, so the same λ runs the same point until then.
 */
export class FamilyPlanner {
  private readonly calibrating = new Map<string, Promise<CalibrationResult>>();

  constructor(
    readonly store: CalibrationStore,
    private readonly device: string,
  ) {}

  private key(spec: FamilySpec): string {
    return CalibrationStore.key(spec.kind, spec.name, spec.ep);
  }

  /** The stored calibration if it still holds for these points and conditions, with what the status says about it. */
  status(spec: FamilySpec): { calibration: FamilyCalibration | null; status: CalibrationStatus } {
    const stored = this.store.get(this.key(spec));
    const base = { calibratedAt: stored?.calibratedAt ?? null, device: this.device, runs: stored?.level.runs ?? 0, changes: stored?.changes ?? [] };
    const stale = (message: string) => ({ calibration: null, status: { ...base, state: 'stale' as const, message } });
    if (!stored) {
      if (this.store.problem) return stale(`${this.store.problem}; the ${spec.name} family is measured again before its next run.`);
      return { calibration: null, status: { ...base, state: 'missing', message: `The ${spec.name} family has not been measured on this device yet.` } };
    }
    if (stored.conditions !== spec.conditions) return stale(`Calibrated under ${stored.conditions}; the studio now runs ${spec.conditions}, so the family is measured again.`);
    const changed = spec.points.find((point) => stored.points[point.id]?.fileId !== point.fileId);
    if (changed) {
      const why = stored.points[changed.id] ? 'its file changed' : 'it is new';
      return stale(`${describePoint(changed)} was not part of the calibration (${why}), so the family is measured again.`);
    }
    const message = stored.changes.length ? `Recalibrated: ${stored.changes.join('; ')}.` : null;
    return { calibration: stored, status: { ...base, state: 'calibrated', message } };
  }

  /** Which point λ runs and what every eligible point would cost, from the stored calibration; measures nothing. */
  preview(spec: FamilySpec, lambda: number, knobs: Knobs = {}): PlanPreview {
    const { calibration, status } = this.status(spec);
    const offered = settleQualityTies(spec.points.filter((point) => matchesKnobs(point, knobs)), (point) => point.network);
    if (offered.length === 0) {
      const fixed = knobs.precision || knobs.depth || knobs.steps || knobs.modelDirs ? ' matching the fixed knobs' : '';
      throw new ApiError('bad_request', `The ${spec.name} family has no operating point with measured quality${fixed}.`);
    }
    const bestQuality = Math.max(...offered.map((point) => point.quality));
    const costs = calibration ? offered.map((point) => predictCost(calibration, point.id)!) : null;
    const candidates = costs ? offered.map((point, index) => ({ ...point, cost: costs[index]!.median })) : null;
    const chosen = candidates ? chooseOperatingPoint(candidates, lambda) : null;
    const scored = candidates ? scorePoints(candidates, lambda) : null;
    const front = new Set(candidates ? paretoFront(candidates).map((point) => point.id) : []);
    const ranges = new Map(candidates ? lambdaRanges(candidates).map((range) => [range.id, range]) : []);
    const points: PlanPoint[] = offered.map((point, index) => {
      const range = ranges.get(point.id);
      return {
        id: point.id,
        model: point.model,
        precision: point.precision,
        depth: point.depth,
        steps: point.steps,
        quality: point.quality / bestQuality,
        bitsPerByte: point.bitsPerByte,
        frechetDistance: point.frechetDistance,
        cost: costs?.[index] ?? null,
        utility: scored?.[index]!.utility ?? null,
        efficiency: scored?.[index]!.efficiency ?? null,
        onFront: front.has(point.id),
        chosen: chosen?.id === point.id,
        lambdaRange: range ? { from: range.from, to: range.to } : null,
      };
    });
    return { kind: spec.kind, family: spec.name, lambda, unit: UNITS[spec.kind], points, chosen: chosen?.id ?? null, calibration: status, note: familyNote(offered) };
  }

  /** The point λ runs; a family not (or no longer) calibrated here is measured first, and the reason travels with the plan. */
  async plan(spec: FamilySpec, lambda: number, knobs: Knobs, repeats: number, onProgress: (progress: BatchProgress) => void): Promise<ChosenPoint> {
    this.preview(spec, lambda, knobs); // refuses knobs that no point matches before anything is measured
    const { calibration, status } = this.status(spec);
    const calibrationNote = calibration ? null : (await this.calibrate(spec, repeats, onProgress, status.message)).reason;
    const preview = this.preview(spec, lambda, knobs);
    const chosen = preview.points.find((point) => point.id === preview.chosen)!;
    const point = spec.points.find((candidate) => candidate.id === chosen.id)!;
    return { point, quality: chosen.quality, efficiency: chosen.efficiency!, utility: chosen.utility!, predicted: chosen.cost!, calibrationNote };
  }

  /** Times the family's points together; one batch at a time per family, shared by whoever asks meanwhile. */
  calibrate(spec: FamilySpec, repeats: number, onProgress: (progress: BatchProgress) => void, reason: string | null = null): Promise<CalibrationResult> {
    const key = this.key(spec);
    const running = this.calibrating.get(key);
    if (running) return running;
    const started = this.runCalibration(spec, repeats, onProgress, reason).finally(() => this.calibrating.delete(key));
    this.calibrating.set(key, started);
    return started;
  }

  private async runCalibration(spec: FamilySpec, repeats: number, onProgress: (progress: BatchProgress) => void, reason: string | null): Promise<CalibrationResult> {
    const startedAt = performance.now();
    const measurable = spec.points.map((point) => ({ id: point.id, fileId: point.fileId, label: describePoint(point), measure: point.measure }));
    const batchId = crypto.randomUUID();
    const batch = await measureInterleaved(measurable, repeats, (progress) => onProgress({ ...progress, batchId }));
    const labels = new Map(measurable.map((point) => [point.id, point.label]));
    // Only a calibration still valid is merged: one from other conditions or files is replaced whole.
    const previous = this.status(spec).calibration;
    const merged = mergeCalibration(previous, summarizeBatch(batch, spec.conditions, repeats), (id) => labels.get(id) ?? id);
    this.store.set(this.key(spec), merged);
    return { kind: spec.kind, family: spec.name, ep: spec.ep, points: spec.points.length, repeats, durationMs: performance.now() - startedAt, reason, changes: merged.changes };
  }

  /** A finished run of a calibrated point refreshes the family's absolute level (never its relative costs). */
  recordRun(spec: FamilySpec, pointId: string, measuredCost: number): void {
    const { calibration } = this.status(spec);
    if (calibration) this.store.set(this.key(spec), refreshLevel(calibration, pointId, measuredCost));
  }
}

function familyNote(points: readonly FamilyPoint[]): string | null {
  if (points.length === 1) return 'Only one operating point is offered here: λ has nothing to trade, so every position runs it.';
  if (points.every((point) => point.quality === points[0]!.quality)) return 'Every point offered has the same quality here: λ can only pick the cheapest.';
  return null;
}
