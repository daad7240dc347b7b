import crypto from 'node:crypto';
import {
  ApiError,
  ImageGenerationRequestSchema,
  TextGenerationRequestSchema,
  type CompareEvent,
  type CompareMode,
  type ComparePane,
  type ImageGenerationRequest,
  type ImageResult,
  type ResolvedCompareRequest,
  type StudioEvent,
  type TextGenerationRequest,
  type TextResult,
} from '../../contract';
import { findUnetPoint } from '../../engine/image/model-folder';
import { findOperatingPoint } from '../../engine/text/model-folder';
import { followJob } from '../follow-job';
import type { ModelRegistry } from '../model-registry';
import type { OperatingPointResolver } from '../operating-point-resolver';
import { invoke, type HostConnection } from '../host-connection';
import { compareGridPng } from './compare-grid';
import { imageFigures, markBest, textFigures } from './pane-figures';

type TextCompare = Extract<ResolvedCompareRequest, { kind: 'text' }>;
type ImageCompare = Extract<ResolvedCompareRequest, { kind: 'image' }>;
type PaneRequest = { kind: 'text'; request: TextGenerationRequest } | { kind: 'image'; request: ImageGenerationRequest };

interface RunningCompare {
  cancelled: boolean;
  paneJobId: string | null;
}

/** What a comparison needs of the host: its calls and events, the models, and λ's resolver. */
export interface CompareHost {
  jobs: HostConnection;
  emit(event: StudioEvent): void;
  registry: ModelRegistry;
  resolver: OperatingPointResolver;
}

function knobMisuse(kind: 'text' | 'image', mode: CompareMode): string | null {
  if (kind === 'text' && mode.steps !== undefined) return 'steps are for image comparisons; text points take precision, depth and window';
  if (kind === 'image' && (mode.depth ?? mode.window) !== undefined) return 'depth and window are for text comparisons; image points take precision and steps';
  return null;
}

function textRequest(compare: TextCompare, mode: CompareMode, seed: number): TextGenerationRequest {
  const { prompt, maxNewTokens, temperature, topK, topP, ep } = compare;
  return { prompt, maxNewTokens, temperature, topK, topP, ep, seed, doSample: true, lambda: mode.lambda, model: mode.model, precision: mode.precision, depth: mode.depth, window: mode.window };
}

function imageRequest(compare: ImageCompare, mode: CompareMode, seed: number): ImageGenerationRequest {
  const { prompt, negativePrompt, guidance, ep } = compare;
  return { prompt, negativePrompt, guidance, ep, seed, lambda: mode.lambda, model: mode.model, precision: mode.precision, steps: mode.steps };
}

const emptyPane = (index: number, mode: CompareMode, status: ComparePane['status'], error: string | null, jobId: string | null = null): ComparePane => ({
  index,
  mode,
  status,
  error,
  jobId,
  point: null,
  figures: null,
  best: [],
  text: null,
  image: null,
});

/**
 * Runs a comparison: the same prompt and seed at each mode, one pane after another (never at once,
 * so each pane's cost is its own), each pane an ordinary job that streams and is recorded like any
 * other. Every mode is checked before the first pane runs; cancelling stops the running pane and the rest.
 */
export class CompareRunner {
  private readonly running = new Map<string, RunningCompare>();

  constructor(private readonly host: CompareHost) {}

  async start(compare: ResolvedCompareRequest): Promise<{ jobId: string }> {
    const seed = compare.seed ?? crypto.randomInt(0, 2 ** 32);
    const panes: PaneRequest[] = compare.modes.map((mode) =>
      compare.kind === 'text' ? { kind: 'text', request: textRequest(compare, mode, seed) } : { kind: 'image', request: imageRequest(compare, mode, seed) },
    );
    for (const [index, pane] of panes.entries()) await this.check(pane, compare.modes[index]!, index);

    const jobId = crypto.randomUUID();
    const state: RunningCompare = { cancelled: false, paneJobId: null };
    this.running.set(jobId, state);
    this.emitCompare({ type: 'compare-started', jobId, kind: compare.kind, prompt: compare.prompt, seed, modes: compare.modes });
    void this.run(jobId, compare, seed, panes, state).finally(() => this.running.delete(jobId));
    return { jobId };
  }

  /** Stops a running comparison: its current pane is cancelled and the rest do not run. */
  cancel(jobId: string): boolean {
    const state = this.running.get(jobId);
    if (!state) return false;
    state.cancelled = true;
    if (state.paneJobId) void invoke(this.host.jobs, 'cancelJob', { jobId: state.paneJobId });
    return true;
  }

  /** Stops every comparison, for a host shutting down. */
  cancelAll(): void {
    for (const jobId of this.running.keys()) this.cancel(jobId);
  }

  private emitCompare(event: CompareEvent): void {
    this.host.emit(event);
  }

  /** Fails early, naming the mode, for what would otherwise fail only when its pane's turn came. */
  private async check(pane: PaneRequest, mode: CompareMode, index: number): Promise<void> {
    const named = (code: ApiError['code'], message: string) => new ApiError(code, `Mode ${index + 1} (${mode.model ?? `λ ${mode.lambda}`}): ${message}`);
    const misuse = knobMisuse(pane.kind, mode);
    if (misuse) throw named('bad_request', misuse);
    try {
      if (pane.kind === 'text') {
        const { model } = await this.host.resolver.text(TextGenerationRequestSchema.parse(pane.request));
        if (mode.model !== undefined) findOperatingPoint(model.folder, mode.precision, mode.depth);
      } else {
        const { model } = await this.host.resolver.image(ImageGenerationRequestSchema.parse(pane.request));
        if (mode.model !== undefined) findUnetPoint(model.folder, mode.precision);
      }
    } catch (error) {
      throw error instanceof ApiError ? named(error.code, error.message) : error;
    }
  }

  private async run(jobId: string, compare: ResolvedCompareRequest, seed: number, requests: PaneRequest[], state: RunningCompare): Promise<void> {
    try {
      const panes: ComparePane[] = [];
      for (const [index, pane] of requests.entries()) {
        const mode = compare.modes[index]!;
        panes.push(state.cancelled ? emptyPane(index, mode, 'cancelled', 'Not run: the comparison was stopped.') : await this.runPane(jobId, index, mode, pane, state));
      }
      const marked = markBest(panes);
      const gridPng = compare.kind === 'image' ? compareGridPng(marked) : null;
      this.emitCompare({ type: 'compare-done', jobId, result: { compareId: jobId, kind: compare.kind, prompt: compare.prompt, seed, panes: marked, gridPng } });
    } catch (error) {
      this.host.emit({ type: 'error', jobId, message: `Comparison failed: ${(error as Error).message}` });
    }
  }

  private async runPane(jobId: string, index: number, mode: CompareMode, pane: PaneRequest, state: RunningCompare): Promise<ComparePane> {
    let paneJobId: string | null = null;
    let model: string | null = null;
    const start = async () => {
      const ref = pane.kind === 'text' ? await invoke(this.host.jobs, 'startTextJob', pane.request) : await invoke(this.host.jobs, 'startImageJob', pane.request);
      paneJobId = state.paneJobId = ref.jobId;
      this.emitCompare({ type: 'compare-pane', jobId, index, paneJobId: ref.jobId, error: null });
      if (state.cancelled) void invoke(this.host.jobs, 'cancelJob', ref);
      return ref;
    };
    const onEvent = (event: StudioEvent) => {
      if (event.type === 'started' || event.type === 'image-started') model = event.model;
    };
    try {
      if (pane.kind === 'text') {
        const result = await followJob(this.host.jobs, start, { onEvent, resultOf: (event) => (event.type === 'done' ? event.result : undefined) });
        return this.textPane(index, mode, paneJobId!, model!, result);
      }
      const result = await followJob(this.host.jobs, start, { onEvent, resultOf: (event) => (event.type === 'image-done' ? event.images[0] : undefined) });
      return this.imagePane(index, mode, paneJobId!, model!, result);
    } catch (error) {
      const message = (error as Error).message;
      if (paneJobId === null) this.emitCompare({ type: 'compare-pane', jobId, index, paneJobId: null, error: message });
      return emptyPane(index, mode, state.cancelled ? 'cancelled' : 'error', message, paneJobId);
    } finally {
      state.paneJobId = null;
    }
  }

  private textPane(index: number, mode: CompareMode, jobId: string, model: string, result: TextResult): ComparePane {
    const { config } = result;
    const folder = this.host.registry.resolve(model).folder;
    const declared = folder.points.find((point) => point.precision === config.precision && point.depth === config.depth)?.quality?.bitsPerByte ?? null;
    return {
      ...emptyPane(index, mode, result.finishReason === 'cancelled' ? 'cancelled' : 'done', null, jobId),
      point: { model, precision: config.precision, depth: config.depth, steps: null, window: config.window, provider: config.ep, lambda: config.operatingPoint?.lambda ?? null },
      figures: textFigures(result, declared),
      text: result,
    };
  }

  private imagePane(index: number, mode: CompareMode, jobId: string, model: string, result: ImageResult): ComparePane {
    const { parameters } = result;
    const folder = this.host.registry.resolveImage(model).folder;
    const declared = folder.unetPoints.find((point) => point.precision === parameters.precision && point.steps === parameters.steps)?.quality?.frechetDistance ?? null;
    return {
      ...emptyPane(index, mode, 'done', null, jobId),
      point: { model, precision: parameters.precision, depth: null, steps: parameters.steps, window: null, provider: result.ep, lambda: mode.lambda ?? null },
      figures: imageFigures(result, declared),
      image: result,
    };
  }
}
