import crypto from 'node:crypto';
import { ApiError, apiMethods, isApiMethod, type ApiMethod, type ApiParams, type ApiResult, type ResolvedTextGenerationRequest, type StudioEvent } from '../contract';
import { listProviders } from '../engine/onnx/providers';
import { TextGenerator } from '../engine/text/text-generator';
import type { TextModelFolder } from '../engine/text/model-folder';
import type { DecoderSession } from '../engine/text/decoder-session';
import { SessionPool } from '../engine/onnx/session-pool';
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
  private readonly generators = new Map<string, TextGenerator>();
  private readonly sessions: SessionPool<DecoderSession>;
  private readonly running = new Map<string, AbortController>();
  private readonly queue = new KeyedJobQueue();

  constructor(options: StudioHostOptions) {
    this.settings = new SettingsStore(options.dataDir);
    this.registry = new ModelRegistry(this.settings, options.bundledModelsDir ?? null, options.modelPaths);
    this.sessions = new SessionPool(this.settings.get().sessionCacheMb * MB);
  }

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
    listProviders: async () => listProviders(),
    getSettings: async () => this.settings.get(),
    updateSettings: async (patch) => {
      const settings = this.settings.update(patch);
      this.sessions.setBudget(settings.sessionCacheMb * MB);
      this.generators.clear();
      return settings;
    },
    startTextJob: async (request) => this.startTextJob(request),
    cancelJob: async ({ jobId }) => ({ cancelled: this.cancel(jobId) }),
  };

  async dispose(): Promise<void> {
    for (const controller of this.running.values()) controller.abort();
    this.generators.clear();
    await this.sessions.closeAll();
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

  private async startTextJob(request: ResolvedTextGenerationRequest): Promise<{ jobId: string }> {
    const { info, folder } = this.registry.resolve(request.model);
    const generator = this.generatorFor(folder);
    const prepared = await generator.prepare(request);

    const jobId = crypto.randomUUID();
    const controller = new AbortController();
    this.running.set(jobId, controller);
    const run = async () => {
      const buffer = new JobEventBuffer(jobId, (event) => this.emit(event));
      try {
        const result = await generator.run(prepared, {
          signal: controller.signal,
          onStarted: (started) => this.emit({ type: 'started', jobId, model: info.id, ...started }),
          onText: (text, ids) => buffer.addText(text, ids),
          onToken: (meter) => buffer.setMetrics(meter.snapshot()),
        });
        buffer.flush();
        this.emit({ type: 'done', jobId, result });
      } catch (error) {
        buffer.flush();
        this.emit({ type: 'error', jobId, message: error instanceof ApiError ? error.message : `Generation failed: ${(error as Error).message}` });
      } finally {
        this.running.delete(jobId);
      }
    };
    const position = this.queue.enqueue(folder.dir, {
      id: jobId,
      run,
      dropped: () => {
        prepared.leases.forEach((lease) => lease.release());
        this.running.delete(jobId);
        this.emit({ type: 'error', jobId, message: 'Cancelled before it started.' });
      },
    });
    this.emit({ type: 'queued', jobId, model: info.id, position });
    return { jobId };
  }

  private cancel(jobId: string): boolean {
    if (this.queue.drop(jobId)) return true;
    const controller = this.running.get(jobId);
    controller?.abort();
    return controller !== undefined;
  }
}
