import crypto from 'node:crypto';
import path from 'node:path';
import { ApiError, apiMethods, isApiMethod, unknownMethodMessage, type ApiMethod, type ApiParams, type ApiResult, type BudgetDecision, type ResolvedTextGenerationRequest, type StudioEvent, ImageGenerationRequestSchema, TextGenerationRequestSchema } from '../contract';
import type { HistoryEntry, ResolvedImageGenerationRequest } from '../contract';
import { readParametersReading } from '../engine/image/generation-parameters';
import { ImageGenerator } from '../engine/image/image-generator';
import type { ImageModelFolder } from '../engine/image/model-folder';
import { keepProviderProbesIn, listProviders } from '../engine/onnx/provider-probe';
import { keepFusedRewritesIn, rewritesStored } from '../engine/text/fused/rewrite-cache';
import { studioVersion } from './paths';
import { TextGenerator } from '../engine/text/text-generator';
import type { TextModelFolder } from '../engine/text/model-folder';
import { SessionPool, type Lease } from '../engine/onnx/session-pool';
import { verifyPackage } from '../engine/package/verify-package';
import { createEnergyMeter, EnergyController, type EnergyMeter, type EnergySnapshot } from '../energy';
import type { BudgetKind, BudgetKnobs, PlannedCost } from '../energy/energy-controller';
import { energyMetrics } from '../energy/energy-metrics';
import { CalibrationStore, deviceName } from '../policy/calibration-store';
import { FamilyPlanner } from '../policy/family-planner';
import type { MeasureImagePoint, MeasureTextPoint } from './family-specs';
import { imageHistoryEntry, textHistoryEntry } from './history-records';
import { HistoryStore } from './history-store';
import { CompareRunner } from './compare/compare-runner';
import { ReportRunner, type PointRunners } from './report/report-runner';
import { OperatingPointResolver } from './operating-point-resolver';
import { meterJob } from './job-energy';
import { JobEventBuffer } from './job-event-buffer';
import { KeyedJobQueue } from './job-queue';
import { ModelRegistry } from './model-registry';
import { removeOrphanTempFiles } from './orphan-temp-files';
import { ApiServerControl, type ApiServerStarter } from './api-server-control';
import { openFolderInFileManager } from './open-folder';
import { SettingsStore } from './settings-store';
import type { z } from 'zod';

export interface StudioHostOptions {
  dataDir: string;
  bundledModelsDir?: string | null;
  /** Model folders named at launch (`pareto serve --model DIR`). */
  modelPaths?: readonly string[];
  /** The energy meter; by default every reader this machine may have, best first. */
  energyMeter?: EnergyMeter;
  /** Runs the local API server that Settings turns on; absent where this host cannot run one (the CLI). */
  apiServer?: ApiServerStarter;
  /** Shows a folder in the desktop's file manager (the Models view's Reveal); by default the platform's opener. */
  openFolder?: (dir: string) => Promise<void>;
}

const MB = 1024 * 1024;
const MAX_SAVE_PROBLEMS = 50;
const CALIBRATION_PROMPT = 'Once upon a time';
const CALIBRATION_IMAGE_PROMPT = 'a smiling face';

type Handlers = { [M in ApiMethod]: (params: z.output<(typeof apiMethods)[M]['params']>) => Promise<ApiResult<M>> };

/** A run's energy per output, as the report keeps it. */
function reportEnergy(energy: EnergySnapshot, outputs: number) {
  const { joulesPerOutput, energySource, energyJRange } = energyMetrics(energy, outputs);
  return { joulesPerOutput, energySource, energyRange: energyJRange && outputs > 0 ? { low: energyJRange.low / outputs, high: energyJRange.high / outputs } : null };
}

function describeIssue(method: string, error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'parameters';
  return `${method}: ${where}: ${issue.message}`;
}

/** The one host behind every transport: models, settings, the job queue and the event stream. */
export class StudioHost {
  readonly settings: SettingsStore;
  readonly registry: ModelRegistry;
  readonly history: HistoryStore;
  private readonly listeners = new Set<(event: StudioEvent) => void>();
  private readonly imageGenerators = new Map<string, ImageGenerator>();
  private readonly generators = new Map<string, TextGenerator>();
  /** Warm text and diffusion sessions (decoders; text encoder, UNet variants, VAE decoder) under one memory budget. */
  private readonly sessions: SessionPool;
  private readonly operatingPoints: OperatingPointResolver;
  private readonly running = new Map<string, AbortController>();
  private readonly queue = new KeyedJobQueue();
  private readonly energy: EnergyMeter;
  private readonly budget = new EnergyController();
  private readonly comparisons: CompareRunner;
  private readonly reports: ReportRunner;
  /** Saves that failed after their output was delivered, for the UI and the log. */
  private readonly saveProblems: string[] = [];
  private readonly apiServer: ApiServerControl;

  private readonly openFolder: (dir: string) => Promise<void>;

  constructor(options: StudioHostOptions) {
    this.openFolder = options.openFolder ?? openFolderInFileManager;
    const orphans = removeOrphanTempFiles(options.dataDir);
    if (orphans > 0) console.warn(`[host/data] removed ${orphans} temporary ${orphans === 1 ? 'file' : 'files'} left by an interrupted write.`);
    this.energy = options.energyMeter ?? createEnergyMeter();
    this.settings = new SettingsStore(options.dataDir);
    keepProviderProbesIn(path.join(options.dataDir, 'providers.json'));
    keepFusedRewritesIn(path.join(options.dataDir, 'fused-rewrites'), studioVersion());
    this.history = new HistoryStore(options.dataDir, () => this.settings.get().historyLimit);
    this.registry = new ModelRegistry(this.settings, options.bundledModelsDir ?? null, options.modelPaths);
    this.sessions = new SessionPool(this.settings.get().sessionCacheMb * MB);
    const device = deviceName();
    const planner = new FamilyPlanner(new CalibrationStore(options.dataDir, device), device);
    this.operatingPoints = new OperatingPointResolver(this.registry, this.settings, planner, { text: this.measureTextPoint, image: this.measureImagePoint }, (kind, family, progress) =>
      this.emit({ type: 'calibration', jobId: progress.batchId, kind, family, done: progress.done, total: progress.total, point: progress.point }),
    );
    this.comparisons = new CompareRunner({ jobs: this, emit: (event) => this.emit(event), registry: this.registry, resolver: this.operatingPoints });
    this.reports = new ReportRunner({
      registry: this.registry,
      emit: (event) => this.emit(event),
      reportsDir: path.join(options.dataDir, 'reports'),
      device,
      run: this.runReportPoint,
      providerAvailable: async (ep) => (await listProviders()).some((provider) => provider.id === ep && provider.available),
    });
    this.apiServer = new ApiServerControl(options.apiServer ?? null);
    void this.apiServer.apply(this.settings.get().apiServer);
  }

  /** The one event stream: text and image job events alike, for every transport. */
  onEvent(listener: (event: StudioEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The typed form of `call`, for callers in this process (the CLI). */
  async invoke<M extends ApiMethod>(method: M, ...params: ApiParams<M> extends undefined ? [] : [ApiParams<M>]): Promise<ApiResult<M>> {
    return (await this.call(method, params[0])) as ApiResult<M>;
  }

  /** Validates a call against the contract and runs it; failures are ApiErrors with a user-facing message. */
  async call(method: string, params: unknown): Promise<unknown> {
    if (!isApiMethod(method)) throw new ApiError('not_found', unknownMethodMessage(method));
    const parsed = apiMethods[method].params.safeParse(params);
    if (!parsed.success) throw new ApiError('bad_request', describeIssue(method, parsed.error));
    const handler = this.handlers[method] as (params: unknown) => Promise<unknown>;
    return handler(parsed.data);
  }

  readonly handlers: Handlers = {
    listModels: async () => this.registry.list(),
    importModel: async ({ path }) => this.registry.import(path),
    removeModel: async ({ model }) => ({ removed: this.registry.remove(model) }),
    revealModel: async ({ model }) => {
      const known = this.registry.list().find((info) => info.id === model);
      if (!known) throw new ApiError('not_found', `No model "${model}" to show. Known models: ${this.registry.list().map((info) => info.id).join(', ')}.`);
      await this.openFolder(known.path);
      return { path: known.path };
    },
    verifyModel: async ({ model }) => {
      const { info, manifest } = this.registry.resolvePackage(model);
      if (!manifest) return { model: info.id, ok: true, files: null };
      const files = await verifyPackage(info.path, manifest);
      return { model: info.id, ok: files.every((file) => file.ok), files };
    },
    listProviders: () => listProviders(),
    getSettings: async () => this.settings.get(),
    updateSettings: async (patch) => {
      const before = this.settings.get();
      const settings = this.settings.update(patch);
      this.sessions.setBudget(settings.sessionCacheMb * MB);
      this.history.trim();
      await this.apiServer.apply(settings.apiServer);
      // Only what the sessions are built with retires the warm generators: moving the slider must not
      // make the next run pay a cold start that its calibrated prediction never saw.
      if (settings.threads !== before.threads || settings.graphOptimizationLevel !== before.graphOptimizationLevel) {
        this.generators.clear();
        this.imageGenerators.clear();
      }
      return settings;
    },
    startTextJob: async (request) => this.startTextJob(request),
    startImageJob: async (request) => this.startImageJob(request),
    startCompare: async (request) => this.comparisons.start(request),
    cancelJob: async ({ jobId }) => ({ cancelled: this.cancel(jobId) }),
    listHistory: async (query) => this.history.list(query),
    getHistoryEntry: async ({ id }) => this.history.get(id),
    getApiServerStatus: async () => this.apiServer.status(),
    deleteHistoryEntry: async ({ id }) => {
      this.history.delete(id);
      return { deleted: true as const };
    },
    readImageParameters: async ({ png }) => {
      try {
        return readParametersReading(Buffer.from(png, 'base64'));
      } catch (error) {
        throw new ApiError('bad_request', (error as Error).message);
      }
    },
    getEnergyStatus: async () => this.energy.status(),
    planPreview: async (params) => this.operatingPoints.preview(params),
    calibrate: async (params) => this.operatingPoints.calibrate(params),
    startReport: async (request) => this.reports.start(request),
    exportReport: async ({ report, out }) => this.reports.export(report, out),
    getDataNotices: async () => [...this.settings.notices, ...this.saveProblems],
  };

  async dispose(): Promise<void> {
    this.comparisons.cancelAll();
    this.reports.cancelAll();
    await this.apiServer.close();
    for (const controller of this.running.values()) controller.abort();
    this.generators.clear();
    this.imageGenerators.clear();
    await this.sessions.closeAll();
    await rewritesStored();
  }

  private emit(event: StudioEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** One generator per model folder and session settings; their sessions live in the shared pool. */
  private generatorFor(folder: TextModelFolder): TextGenerator {
    let generator = this.generators.get(folder.dir);
    if (!generator) {
      const { threads, graphOptimizationLevel } = this.settings.get();
      generator = new TextGenerator(folder, this.sessions, { threads: threads ?? undefined, graphOptimizationLevel });
      this.generators.set(folder.dir, generator);
    }
    return generator;
  }

  /**
   * One run of a text point for calibration, measured as the profiler measures a generation: the same
   * generator and sessions, the sampling in Settings, a fixed seed and length.
   */
  private readonly measureTextPoint: MeasureTextPoint = async (folder, precision, depth, tokens) => (await this.generateTextPoint(folder, precision, depth, tokens)).metrics.msPerToken!;

  private generateTextPoint(folder: TextModelFolder, precision: string, depth: number, tokens: number) {
    const { temperature, topK, topP } = this.settings.get();
    const request = TextGenerationRequestSchema.parse({ model: folder.dir, prompt: CALIBRATION_PROMPT, maxNewTokens: tokens, minNewTokens: tokens, temperature, topK, topP, seed: 0, precision, depth });
    return this.generatorFor(folder).generate(request);
  }

  /** One image at an image point for calibration, made as a job makes one (its step previews included). */
  private readonly measureImagePoint: MeasureImagePoint = async (folder, precision, steps) => (await this.generateImagePoint(folder, precision, steps)).metrics.sPerImage;

  private async generateImagePoint(folder: ImageModelFolder, precision: string, steps: number) {
    const request = ImageGenerationRequestSchema.parse({ prompt: CALIBRATION_IMAGE_PROMPT, precision, steps, seed: 0 });
    const [image] = await this.imageGeneratorFor(folder).generate({ ...request, model: folder.dir }, { onStep: () => undefined });
    return image!;
  }

  /** The report's runs: a calibration run of the point under the energy meter, its whole metrics kept. */
  private readonly runReportPoint: PointRunners = {
    text: async (folder, precision, depth, tokens) => {
      const { value, energy } = await meterJob(this.energy, 'report', () => undefined, () => this.generateTextPoint(folder, precision, depth, tokens));
      const { metrics } = value;
      return { cost: metrics.msPerToken!, peakRssMb: metrics.peakRssMb, ...reportEnergy(energy, metrics.generatedTokens) };
    },
    image: async (folder, precision, steps) => {
      const { value, energy } = await meterJob(this.energy, 'report', () => undefined, () => this.generateImagePoint(folder, precision, steps));
      return { cost: value.metrics.sPerImage, peakRssMb: value.metrics.peakRssMb, ...reportEnergy(energy, 1) };
    },
  };

  /**
   * Where λ applies and the energy-aware controller is on, it sets λ (and a precision) to plan with from the
   * budget and what this device measured; `plan` says what such a request would choose and cost, or null where
   * nothing matches. Otherwise the request runs as given.
   */
  private async withBudget<R extends { model?: string; lambda?: number; precision?: string }>(kind: BudgetKind, request: R, plan: (request: R) => Promise<PlannedCost | null>): Promise<{ request: R; budget: BudgetDecision | null }> {
    const { energyController, lambda } = this.settings.get();
    if (!energyController.enabled || (request.model !== undefined && request.lambda === undefined)) return { request, budget: null };
    const precisions = request.precision === undefined ? this.familyPrecisions(kind, request.model) : [];
    const predict = (knobs: BudgetKnobs) => plan({ ...request, ...knobs }).catch((error: unknown) => (error instanceof ApiError && error.code === 'bad_request' ? null : Promise.reject(error)));
    const decided = await this.budget.decide(energyController, kind, request.lambda ?? lambda, await this.energy.onBattery(), predict, precisions);
    return decided ? { request: { ...request, ...decided.knobs }, budget: decided.decision } : { request, budget: null };
  }

  /** The precisions the family λ would plan over offers, for the controller to hold a budget within. */
  private familyPrecisions(kind: BudgetKind, model: string | undefined): string[] {
    const models = this.registry.list();
    const family = model === undefined ? this.registry.defaultFamily(kind) : (models.find((info) => info.id === model || info.path === model)?.family ?? null);
    return [...new Set(models.filter((info) => info.kind === kind && info.family !== null && info.family === family).flatMap((info) => info.variants))];
  }

  private async startTextJob(original: ResolvedTextGenerationRequest): Promise<{ jobId: string }> {
    const budgeted = await this.withBudget('text', original, async (candidate) => {
      const point = (await this.operatingPoints.text(candidate)).operatingPoint;
      return point && { cost: point.msPerToken, quality: -point.bitsPerByte, label: `${point.model} ${point.precision} depth ${point.depth}` };
    });
    const { request, model, operatingPoint } = await this.operatingPoints.text(budgeted.request);
    const { info, folder } = model;
    const generator = this.generatorFor(folder);
    const prepared = await generator.prepare(request);
    prepared.config.operatingPoint = operatingPoint;
    prepared.config.budget = budgeted.budget;

    return this.submitJob(folder.dir, info.id, prepared.leases, async (jobId, signal) => {
      const buffer = new JobEventBuffer(jobId, (event) => this.emit(event));
      let metered;
      try {
        metered = await meterJob(this.energy, jobId, (event) => this.emit(event), () =>
          generator.run(prepared, {
            signal,
            onStarted: (started) => this.emit({ type: 'started', jobId, model: info.id, ...started, config: prepared.config }),
            onText: (text, ids, logprobs) => buffer.addText(text, ids, logprobs),
            onToken: (meter) => buffer.watchMetrics(() => meter.snapshot()),
          }),
        );
      } finally {
        buffer.flush();
      }
      const result = metered.value;
      result.metrics = { ...result.metrics, ...energyMetrics(metered.energy, result.metrics.generatedTokens) };
      this.budget.recordPower('text', result.metrics.meanWatts);
      if (result.metrics.msPerToken !== null && !prepared.dynamic && !prepared.config.window) {
        const { point, ep } = prepared.primary;
        const msPerToken = result.metrics.msPerToken;
        this.saveAfterOutput('calibration', () => this.operatingPoints.recordRun('text', folder.dir, point.precision, point.depth, ep, msPerToken));
      }
      this.keep(textHistoryEntry(jobId, original, info.id, result));
      this.emit({ type: 'done', jobId, result });
    });
  }

  private imageGeneratorFor(folder: ImageModelFolder): ImageGenerator {
    let generator = this.imageGenerators.get(folder.dir);
    if (!generator) {
      const { threads, graphOptimizationLevel } = this.settings.get();
      generator = new ImageGenerator(folder, this.sessions, { threads: threads ?? undefined, graphOptimizationLevel });
      this.imageGenerators.set(folder.dir, generator);
    }
    return generator;
  }

  /** An image job: checked and its sessions opened before it is queued, then run one per model at a time. */
  private async startImageJob(original: ResolvedImageGenerationRequest): Promise<{ jobId: string }> {
    const budgeted = await this.withBudget('image', original, async (candidate) => {
      const point = (await this.operatingPoints.image(candidate)).operatingPoint;
      return point && { cost: point.sPerImage, quality: -point.frechetDistance, label: `${point.model} ${point.precision} ${point.steps} steps` };
    });
    const { request, model, operatingPoint } = await this.operatingPoints.image(budgeted.request);
    const { info, folder } = model;
    const generator = this.imageGeneratorFor(folder);
    const prepared = await generator.prepare(request);
    return this.submitJob(folder.dir, info.id, prepared.leases, async (jobId, signal) => {
      const { value: images, energy } = await meterJob(this.energy, jobId, (event) => this.emit(event), () =>
        generator.run(prepared, {
          signal,
          onStarted: (started) =>
            this.emit({ type: 'image-started', jobId, model: info.id, ...started, parameters: prepared.parameters, seeds: prepared.seeds, operatingPoint, budget: budgeted.budget }),
          onStep: (step) => this.emit({ type: 'image-progress', jobId, ...step }),
        }),
      );
      const shared = energyMetrics(energy, images.length);
      for (const image of images) image.metrics = { ...image.metrics, ...shared };
      const [first] = images;
      this.budget.recordPower('image', shared.meanWatts);
      const { precision, steps, dynamicPrecision } = first!.parameters;
      // A batch's time per image is not one image's, which is what calibration compares.
      if (!dynamicPrecision && images.length === 1) this.saveAfterOutput('calibration', () => this.operatingPoints.recordRun('image', folder.dir, precision, steps, first!.ep, first!.metrics.sPerImage));
      images.forEach((image, index) => {
        const kept = imageHistoryEntry(images.length === 1 ? jobId : `${jobId}-${index + 1}`, original, info.id, image, operatingPoint);
        this.keep(kept.entry, kept.png);
      });
      this.emit({ type: 'image-done', jobId, images });
    });
  }

  /**
   * Queues a prepared job, one per model at a time, announcing it; `work` runs it and emits its
   * result. A failure becomes the job's error event; a job cancelled while queued gives its sessions back.
   */
  private submitJob(queueKey: string, model: string, leases: readonly Lease<unknown>[], work: (jobId: string, signal: AbortSignal) => Promise<void>): { jobId: string } {
    const jobId = crypto.randomUUID();
    const controller = new AbortController();
    this.running.set(jobId, controller);
    const run = async () => {
      try {
        await work(jobId, controller.signal);
      } catch (error) {
        this.emit({ type: 'error', jobId, message: error instanceof ApiError ? error.message : `Generation failed: ${(error as Error).message}` });
      } finally {
        this.running.delete(jobId);
      }
    };
    const position = this.queue.enqueue(queueKey, {
      id: jobId,
      run,
      dropped: () => {
        leases.forEach((lease) => lease.release());
        this.running.delete(jobId);
        this.emit({ type: 'error', jobId, message: 'Cancelled before it started.' });
      },
    });
    this.emit({ type: 'queued', jobId, model, position });
    return { jobId };
  }

  /**
   * Records a finished output before its result is announced, so a client that lists history on
   * `done` finds it. A history that cannot be written costs the entry, never the result.
   */
  private keep(entry: HistoryEntry, png?: Uint8Array): void {
    this.saveAfterOutput('history', () => this.history.record(entry, png));
  }

  /** A save made after an output is finished: its failure is reported on its own and never costs the output. */
  private saveAfterOutput(what: 'history' | 'calibration', save: () => void): void {
    try {
      save();
    } catch (error) {
      const problem = `${new Date().toISOString()}: ${what === 'history' ? 'an output was delivered but could not be added to the history' : 'a run’s timing could not be saved to calibration.json'} (${(error as Error).message}).`;
      this.saveProblems.splice(0, this.saveProblems.length - MAX_SAVE_PROBLEMS + 1);
      this.saveProblems.push(problem);
      console.error(`[host/${what}] ${problem}`);
    }
  }

  private cancel(jobId: string): boolean {
    if (this.comparisons.cancel(jobId) || this.reports.cancel(jobId) || this.queue.drop(jobId)) return true;
    const controller = this.running.get(jobId);
    controller?.abort();
    return controller !== undefined;
  }
}
