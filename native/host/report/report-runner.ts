import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { ApiError, type ExecutionProvider, type Report, type ReportFolder, type ResolvedReportRequest, type StudioEvent } from '../../contract';
import type { ImageModelFolder } from '../../engine/image/model-folder';
import type { TextModelFolder } from '../../engine/text/model-folder';
import { measureInterleaved, type MeasurablePoint } from '../../policy/calibrator';
import type { ModelRegistry } from '../model-registry';
import { modelBytes } from './model-bytes';
import { buildFamilyReport, type FamilyMeasurement, type MeasuredPoint, type PointRun } from './report-model';
import { checkWritable, writeReport, writeTables } from './report-files';

/** One run of a point, as a generation would run it, with its energy. */
export interface PointRunners {
  text(folder: TextModelFolder, precision: string, depth: number, tokens: number): Promise<PointRun>;
  image(folder: ImageModelFolder, precision: string, steps: number): Promise<PointRun>;
}

export interface ReportHost {
  registry: ModelRegistry;
  emit(event: StudioEvent): void;
  /** Where a report goes when the request names no folder: DIR/<time>. */
  reportsDir: string;
  device: string;
  run: PointRunners;
  providerAvailable(ep: ExecutionProvider): Promise<boolean>;
}

/** Rounds and tokens per mode: quick is a first look in about a minute, the full run tightens the spread. */
const MODES = { quick: { repeats: 2, tokens: 16 }, full: { repeats: 5, tokens: 48 } } as const;
const MB = 1024 * 1024;

type Kind = 'text' | 'image';
interface FamilyPlan {
  kind: Kind;
  family: string;
  points: (MeasuredPoint & { measure: () => Promise<PointRun> })[];
  problems: string[];
}

function textPlan(family: string, folders: readonly TextModelFolder[], run: PointRunners, tokens: number): FamilyPlan {
  const points = folders.flatMap((folder) =>
    folder.points.map((point) => ({
      id: `${folder.name}:${point.precision}:${point.depth}`,
      model: folder.name,
      role: folder.manifest?.role ?? null,
      precision: point.precision,
      depth: point.depth,
      steps: null,
      parameters: folder.manifest?.parameters ?? null,
      bytes: modelBytes(point.path),
      quality: point.quality?.bitsPerByte === undefined ? null : { value: point.quality.bitsPerByte, coherence: point.quality.repetition ?? null },
      runs: [],
      measure: () => run.text(folder, point.precision, point.depth, tokens),
    })),
  );
  return { kind: 'text', family, points, problems: [] };
}

function imagePlan(family: string, folders: readonly ImageModelFolder[], run: PointRunners): FamilyPlan {
  const problems: string[] = [];
  const points = folders.flatMap((folder) =>
    folder.unetPoints.flatMap((point) => {
      const steps = point.steps;
      if (steps === null) {
        problems.push(`${folder.name} ${point.precision}: pareto.json names no step count for it, so it is not measured.`);
        return [];
      }
      return [
        {
          id: `${folder.name}:${point.precision}:${steps}`,
          model: folder.name,
          role: folder.manifest?.role ?? null,
          precision: point.precision,
          depth: null,
          steps,
          parameters: folder.manifest?.parameters ?? null,
          bytes: modelBytes(point.path),
          quality: point.quality?.frechetDistance === undefined ? null : { value: point.quality.frechetDistance, coherence: point.quality.faithfulness ?? null },
          runs: [],
          measure: () => run.image(folder, point.precision, steps),
        },
      ];
    }),
  );
  return { kind: 'image', family, points, problems };
}

/**
 * `pareto report` and the Report view: measures every operating point of each family on this device
 * (interleaved rounds after a warm-up, as calibration does), joins the quality each package declares,
 * and writes the tables, the figures and report.html. A point that fails is left out and said; the
 * tables are written after each family, so what was measured survives a later failure.
 */
export class ReportRunner {
  private readonly running = new Map<string, AbortController>();

  constructor(private readonly host: ReportHost) {}

  /** Checks the families and the folder now (a bad one fails the call), then measures in the background. */
  start(request: ResolvedReportRequest): { jobId: string } {
    const families = this.familiesFor(request.families);
    const folder = path.resolve(request.out ?? path.join(this.host.reportsDir, new Date().toISOString().replace(/[:.]/g, '-')));
    checkWritable(folder);
    const jobId = crypto.randomUUID();
    const controller = new AbortController();
    this.running.set(jobId, controller);
    void this.run(jobId, families, folder, request, controller.signal)
      .catch((error: unknown) => {
        const message = controller.signal.aborted ? `Report cancelled; the tables of the families measured before it are in ${folder}.` : error instanceof ApiError ? error.message : `The report failed: ${(error as Error).message}`;
        this.host.emit({ type: 'error', jobId, message });
      })
      .finally(() => this.running.delete(jobId));
    return { jobId };
  }

  cancel(jobId: string): boolean {
    const controller = this.running.get(jobId);
    controller?.abort();
    return controller !== undefined;
  }

  cancelAll(): void {
    for (const controller of this.running.values()) controller.abort();
  }

  async export(report: Report, out: string): Promise<ReportFolder> {
    const { folder, files } = await writeReport(path.resolve(out), report);
    return { folder, files };
  }

  private familiesFor(names: readonly string[] | undefined): { kind: Kind; family: string }[] {
    const installed = [...new Map(this.host.registry.list().flatMap((model) => (model.family ? [[model.family, { kind: model.kind, family: model.family }] as const] : []))).values()];
    if (installed.length === 0) throw new ApiError('not_found', 'No model family is installed: the report measures the families of packages with a pareto.json.');
    installed.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'text' ? -1 : 1));
    if (!names) return installed;
    const unknown = names.filter((name) => !installed.some((entry) => entry.family === name));
    if (unknown.length) throw new ApiError('not_found', `No family named ${unknown.map((name) => `"${name}"`).join(', ')}; installed families: ${installed.map((entry) => entry.family).join(', ')}.`);
    return installed.filter((entry) => names.includes(entry.family));
  }

  private plan(kind: Kind, family: string, tokens: number): FamilyPlan {
    const { registry, run } = this.host;
    return kind === 'text' ? textPlan(family, registry.family(family), run, tokens) : imagePlan(family, registry.imageFamily(family), run);
  }

  private async run(jobId: string, families: { kind: Kind; family: string }[], folder: string, request: ResolvedReportRequest, signal: AbortSignal): Promise<void> {
    const mode = request.quick ? MODES.quick : MODES.full;
    const plans = families.map(({ kind, family }) => this.plan(kind, family, mode.tokens));
    const total = plans.reduce((sum, plan) => sum + plan.points.length * (mode.repeats + 1), 0) + 1;
    const device = { memoryMb: os.totalmem() / MB, providerAvailable: await this.host.providerAvailable(request.ep) };
    const report: Report = { schemaVersion: 1, createdAt: new Date().toISOString(), device: this.host.device, ep: request.ep, quick: request.quick, memoryMb: device.memoryMb, families: [], problems: [] };
    let offset = 0;
    for (const plan of plans) {
      const measurement = await this.measure(jobId, plan, mode, offset, total, signal);
      offset += plan.points.length * (mode.repeats + 1);
      report.families.push(buildFamilyReport(measurement, device));
      writeTables(folder, report);
    }
    this.host.emit({ type: 'report-progress', jobId, family: null, done: total - 1, total, step: 'writing the figures and report.html' });
    const written = await writeReport(folder, report);
    this.host.emit({ type: 'report-progress', jobId, family: null, done: total, total, step: null });
    this.host.emit({ type: 'report-done', jobId, report: written.report, folder: written.folder, files: written.files });
  }

  /** One family's interleaved batch; each point's runs kept whole (the warm-up dropped), a failing point left out. */
  private async measure(jobId: string, plan: FamilyPlan, mode: { repeats: number; tokens: number }, offset: number, total: number, signal: AbortSignal): Promise<FamilyMeasurement> {
    const problems = [...plan.problems];
    const failed = new Set<string>();
    const measurable: MeasurablePoint[] = plan.points.map((point) => ({
      id: point.id,
      fileId: point.id,
      label: `${point.model} ${point.precision} ${point.depth !== null ? `depth ${point.depth}` : `${point.steps} steps`}`,
      measure: async () => {
        if (failed.has(point.id)) return NaN;
        try {
          const run = await point.measure();
          point.runs.push(run);
          return run.cost;
        } catch (error) {
          failed.add(point.id);
          problems.push(`${point.id} failed and is left out: ${(error as Error).message}`);
          return NaN;
        }
      },
    }));
    await measureInterleaved(measurable, mode.repeats, (progress) => this.host.emit({ type: 'report-progress', jobId, family: plan.family, done: offset + progress.done, total, step: progress.point ? `measuring ${progress.point}` : `measured ${plan.family}` }), signal);
    const points = plan.points.filter((point) => !failed.has(point.id)).map(({ measure: _measure, runs, ...point }) => ({ ...point, runs: runs.slice(1) }));
    return { kind: plan.kind, family: plan.family, points, repeats: mode.repeats, tokens: plan.kind === 'text' ? mode.tokens : null, problems };
  }
}
