import crypto from 'node:crypto';
import { ApiError, apiMethods, isApiMethod, type ApiMethod, type ApiParams, type ApiResult, type ResolvedTextGenerationRequest, type StudioEvent, ImageGenerationRequestSchema, TextGenerationRequestSchema } from '../contract';
import type { ResolvedImageGenerationRequest } from '../contract';
import type { GraphSession } from '../engine/image/graph-session';
import { ImageGenerator } from '../engine/image/image-generator';
import { findUnetPoint, type ImageModelFolder } from '../engine/image/model-folder';
import { listProviders } from '../engine/onnx/providers';
import { TextGenerator } from '../engine/text/text-generator';
import type { TextModelFolder } from '../engine/text/model-folder';
import type { DecoderSession } from '../engine/text/decoder-session';
import { SessionPool, type Lease } from '../engine/onnx/session-pool';
import { verifyPackage } from '../engine/package/verify-package';
import { CalibrationStore } from '../policy/calibration-store';
import { FamilyPlanner, type MeasureImagePoint, type MeasureTextPoint } from '../policy/family-planner';
import { CompareRunner } from './compare/compare-runner';
import { OperatingPointResolver } from './operating-point-resolver';
import { JobEventBuffer } from './job-event-buffer';
import { KeyedJobQueue } from './job-queue';
import { ModelRegistry } from './model-registry';
import { SettingsStore } from './settings-store';
import type { z } from 'zod';

export interface StudioHostOptions {
  dataDir: string;
  bundledModelsDir?: string | null;
  /** Model folders named at launch (`pareto serve --model DIR`). */
  modelPaths?: readonly string[];
}

const MB = 1024 * 1024;
const CALIBRATION_PROMPT = 'Once upon a time';
const CALIBRATION_IMAGE_PROMPT = 'a smiling face';

type Handlers = { [M in ApiMethod]: (params: z.output<(typeof apiMethods)[M]['params']>) => Promise<ApiResult<M>> };

function describeIssue(method: string, error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'parameters';
  return `${method}: ${where}: ${issue.message}`;
}

/** The one host behind every transport: models, settings, the job queue and the event stream. */
export class StudioHost {
  readonly settings: SettingsStore;
  readonly registry: ModelRegistry;
  private readonly listeners = new Set<(event: StudioEvent) => void>();
  private readonly imageGenerators = new Map<string, ImageGenerator>();
  /** Diffusion sessions (text encoder, UNet variants, VAE decoder), under the same memory budget as the text pool. */
  private readonly imageSessions: SessionPool<GraphSession>;
  private readonly generators = new Map<string, TextGenerator>();
  private readonly sessions: SessionPool<DecoderSession>;
  private readonly planner: FamilyPlanner;
  private readonly operatingPoints: OperatingPointResolver;
  private readonly running = new Map<string, AbortController>();
  private readonly queue = new KeyedJobQueue();
  private readonly comparisons: CompareRunner;

  constructor(options: StudioHostOptions) {
    this.settings = new SettingsStore(options.dataDir);
    this.registry = new ModelRegistry(this.settings, options.bundledModelsDir ?? null, options.modelPaths);
    this.sessions = new SessionPool(this.settings.get().sessionCacheMb * MB);
    this.imageSessions = new SessionPool(this.settings.get().sessionCacheMb * MB);
    this.planner = new FamilyPlanner(new CalibrationStore(options.dataDir));
    this.operatingPoints = new OperatingPointResolver(this.registry, this.settings, this.planner, { text: this.measureTextPoint, image: this.measureImagePoint });
    this.comparisons = new CompareRunner({ jobs: this, emit: (event) => this.emit(event), registry: this.registry, resolver: this.operatingPoints });
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
    if (!isApiMethod(method)) throw new ApiError('not_found', `Unknown method "${method}".`);
    const parsed = apiMethods[method].params.safeParse(params);
    if (!parsed.success) throw new ApiError('bad_request', describeIssue(method, parsed.error));
    const handler = this.handlers[method] as (params: unknown) => Promise<unknown>;
    return handler(parsed.data);
  }

  readonly handlers: Handlers = {
    listModels: async () => this.registry.list(),
    importModel: async ({ path }) => this.registry.import(path),
    verifyModel: async ({ model }) => {
      const { info, manifest } = this.registry.resolvePackage(model);
      if (!manifest) return { model: info.id, ok: true, files: null };
      const files = await verifyPackage(info.path, manifest);
      return { model: info.id, ok: files.every((file) => file.ok), files };
    },
    listProviders: async () => listProviders(),
    getSettings: async () => this.settings.get(),
    updateSettings: async (patch) => {
      const settings = this.settings.update(patch);
      this.sessions.setBudget(settings.sessionCacheMb * MB);
      this.imageSessions.setBudget(settings.sessionCacheMb * MB);
      this.generators.clear();
      this.imageGenerators.clear();
      return settings;
    },
    startTextJob: async (request) => this.startTextJob(request),
    startImageJob: async (request) => this.startImageJob(request),
    startCompare: async (request) => this.comparisons.start(request),
    cancelJob: async ({ jobId }) => ({ cancelled: this.cancel(jobId) }),
  };

  async dispose(): Promise<void> {
    this.comparisons.cancelAll();
    for (const controller of this.running.values()) controller.abort();
    this.generators.clear();
    this.imageGenerators.clear();
    await Promise.all([this.sessions.closeAll(), this.imageSessions.closeAll()]);
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

  /** A short greedy run on one text operating point, timing it for λ's first-use calibration. */
  private readonly measureTextPoint: MeasureTextPoint = async (folder, precision, depth) => {
    const request = TextGenerationRequestSchema.parse({ model: folder.dir, prompt: CALIBRATION_PROMPT, maxNewTokens: 24, minNewTokens: 24, doSample: false, precision, depth });
    return (await this.generatorFor(folder).generate(request)).metrics.msPerToken!;
  };

  /** One image at an image operating point, timed for λ's first-use calibration. */
  private readonly measureImagePoint: MeasureImagePoint = async (folder, precision, steps) => {
    const request = ImageGenerationRequestSchema.parse({ prompt: CALIBRATION_IMAGE_PROMPT, precision, steps, seed: 0, previewEvery: 0 });
    return (await this.imageGeneratorFor(folder).generate({ ...request, model: folder.dir })).metrics.sPerImage;
  };

  private async startTextJob(original: ResolvedTextGenerationRequest): Promise<{ jobId: string }> {
    const { request, model, operatingPoint } = await this.operatingPoints.text(original);
    const { info, folder } = model;
    const generator = this.generatorFor(folder);
    const prepared = await generator.prepare(request);
    prepared.config.operatingPoint = operatingPoint;

    return this.submitJob(folder.dir, info.id, prepared.leases, async (jobId, signal) => {
      const buffer = new JobEventBuffer(jobId, (event) => this.emit(event));
      let result;
      try {
        result = await generator.run(prepared, {
          signal,
          onStarted: (started) => this.emit({ type: 'started', jobId, model: info.id, ...started, config: prepared.config }),
          onText: (text, ids) => buffer.addText(text, ids),
          onToken: (meter) => buffer.watchMetrics(() => meter.snapshot()),
        });
      } finally {
        buffer.flush();
      }
      if (result.metrics.msPerToken !== null && !prepared.dynamic && !prepared.config.window) {
        this.planner.calibration.record(CalibrationStore.key(prepared.primary.point.path, prepared.primary.ep), result.metrics.msPerToken);
      }
      this.emit({ type: 'done', jobId, result });
    });
  }

  private imageGeneratorFor(folder: ImageModelFolder): ImageGenerator {
    let generator = this.imageGenerators.get(folder.dir);
    if (!generator) {
      const { threads, graphOptimizationLevel } = this.settings.get();
      generator = new ImageGenerator(folder, this.imageSessions, { threads: threads ?? undefined, graphOptimizationLevel });
      this.imageGenerators.set(folder.dir, generator);
    }
    return generator;
  }

  /** An image job: checked and its sessions opened before it is queued, then run one per model at a time. */
  private async startImageJob(original: ResolvedImageGenerationRequest): Promise<{ jobId: string }> {
    const { request, model, operatingPoint } = await this.operatingPoints.image(original);
    const { info, folder } = model;
    const generator = this.imageGeneratorFor(folder);
    const prepared = await generator.prepare(request);
    return this.submitJob(folder.dir, info.id, prepared.leases, async (jobId, signal) => {
      const result = await generator.run(prepared, {
        signal,
        onStarted: (started) => this.emit({ type: 'image-started', jobId, model: info.id, ...started, parameters: prepared.parameters, operatingPoint }),
        onStep: (step) => this.emit({ type: 'image-progress', jobId, ...step }),
      });
      if (operatingPoint) {
        const key = CalibrationStore.key(findUnetPoint(folder, operatingPoint.precision).path, request.ep, `steps=${operatingPoint.steps}`);
        this.planner.calibration.record(key, result.metrics.sPerImage);
      }
      this.emit({ type: 'image-done', jobId, result });
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

  private cancel(jobId: string): boolean {
    if (this.comparisons.cancel(jobId) || this.queue.drop(jobId)) return true;
    const controller = this.running.get(jobId);
    controller?.abort();
    return controller !== undefined;
  }
}
