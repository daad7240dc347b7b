import crypto from 'node:crypto';
import { ApiError, type ExecutionProvider, type GenerationConfig, type ResolvedTextGenerationRequest, type TextResult, type TokenLogprob } from '../../contract';
import { RunMeter } from '../../metering/run-meter';
import { modelFileBytes, type SessionTuning } from '../onnx/open-session';
import type { Lease, SessionPool } from '../onnx/session-pool';
import { ChatTemplate } from './chat-template';
import { DecoderSession } from './decoder-session';
import type { DecoderStep } from './decoder-step';
import { DynamicPrecisionDecoder } from './dynamic-precision';
import { generateTokens } from './generate';
import { SlidingWindowDecoder } from './kv-window';
import {
  LogitsProcessorList,
  MinNewTokensLogitsProcessor,
  LogitBiasProcessor,
  MinPLogitsWarper,
  PresenceFrequencyPenaltyLogitsProcessor,
  RepetitionPenaltyLogitsProcessor,
  TemperatureLogitsWarper,
  TopKLogitsWarper,
  TopPLogitsWarper,
} from './logits-processors';
import { findOperatingPoint, type OperatingPointFile, type TextModelFolder } from './model-folder';
import { EosTokenCriteria, InterruptableStoppingCriteria, MaxContextCriteria, MaxNewTokensCriteria, StopStringCriteria, StoppingCriteriaList, truncateAtStop } from './stopping-criteria';
import { StopStringHoldback, TextStreamer } from './streamer';
import { GreedyChooser, MultinomialChooser } from './token-chooser';
import { TokenLogprobRecorder, entriesWithin } from './token-logprobs';
import { TextTokenizer } from './tokenizer';
import { chooseWindow, measureStepCost, type StepCostModel } from './window-planner';

export interface TextGenerationHooks {
  signal?: AbortSignal;
  onStarted?(info: { ep: ExecutionProvider; fallbackReason: string | null; promptTokens: number }): void;
  /** `logprobs` are those of `ids`, when the request asked for them. */
  onText?(text: string, ids: readonly number[], logprobs?: readonly TokenLogprob[]): void;
  onToken?(meter: RunMeter): void;
}

/** A request checked against the model, with its sessions open: everything that can fail early has. */
export interface PreparedTextRun {
  request: ResolvedTextGenerationRequest;
  config: GenerationConfig;
  promptIds: number[];
  decoder: DecoderStep;
  primary: DecoderSession;
  dynamic: DynamicPrecisionDecoder | null;
  leases: Lease<DecoderSession>[];
}

/** Hugging Face GenerationConfig defaults, used where neither the request nor generation_config.json says. */
const HF_DEFAULTS = { temperature: 1, topK: 50, topP: 1 };
/** Streamed text is decoded this often: smoother than any UI needs, and off the per-token path. */
const TEXT_INTERVAL_MS = 16;
/** Memory a session holds beyond its weights file, roughly: arena, KV cache, optimised copies. */
const SESSION_MEMORY_FACTOR = 1.5;

/** A text model ready to generate: its folder, tokenizer and chat template, with sessions from a shared pool. */
export class TextGenerator {
  private readonly tokenizer: TextTokenizer;
  private readonly chatTemplate: ChatTemplate;
  // Weak: a session the pool evicts must not be kept alive (its native memory included) by its measurement.
  private readonly stepCosts = new WeakMap<DecoderSession, Promise<StepCostModel>>();
  /**
   * The end tokens' text: some models (the TinyStories ones among them) spell their end marker out in
   * ordinary tokens before the end token itself, so the spelled-out marker ends a generation too.
   */
  private readonly endMarkers: string[];

  constructor(
    readonly folder: TextModelFolder,
    private readonly sessions: SessionPool,
    private readonly tuning: SessionTuning = {},
  ) {
    this.tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, folder.name);
    this.chatTemplate = ChatTemplate.fromTokenizerConfig(folder.tokenizerConfig, folder.name);
    this.endMarkers = folder.config.eosTokenIds.map((id) => this.tokenizer.tokenText(id) ?? '').filter((text) => text.length > 1);
  }

  /** `takesTurns`: the session alternates with another one (dynamic precision), so its workers must not spin. */
  private async session(point: OperatingPointFile, ep: ExecutionProvider, takesTurns = false): Promise<Lease<DecoderSession>> {
    const tuning = { ...this.tuning, spinWorkers: !takesTurns };
    // every knob that changes the session is in the key: a generator running the export must not get a fused session from the pool
    const key = [point.path, ep, tuning.threads ?? '', tuning.graphOptimizationLevel ?? '', tuning.fuseGraph ?? true, tuning.spinWorkers].join('\0');
    return this.sessions.acquire(key, () => modelFileBytes(point.path) * SESSION_MEMORY_FACTOR, () => DecoderSession.open(this.folder, point, ep, tuning));
  }

  encodePrompt(request: Pick<ResolvedTextGenerationRequest, 'prompt' | 'messages'>): number[] {
    const text = request.messages ? this.chatTemplate.render(request.messages) : (request.prompt ?? '');
    const context = this.folder.config.contextLength;
    // Tokenising a megabyte takes seconds; its byte length alone already says when it cannot fit.
    const atLeast = this.tokenizer.minimumTokens(text);
    if (atLeast >= context) throw new ApiError('bad_request', `The prompt is at least ${atLeast} tokens but ${this.folder.name} holds ${context}; shorten the prompt.`);
    const promptIds = request.messages ? this.tokenizer.encode(text, this.chatTemplate.addsSpecialTokensOnEncode) : this.tokenizer.encode(text);
    if (promptIds.length === 0) throw new ApiError('bad_request', `The prompt is empty and ${this.folder.name} has no start token to begin from.`);
    if (promptIds.length >= context) {
      throw new ApiError('bad_request', `The prompt is ${promptIds.length} tokens but ${this.folder.name} holds ${context}; shorten the prompt.`);
    }
    return promptIds;
  }

  /** Opens the sessions a request needs and checks it against the model, so errors come before queueing. */
  async prepare(request: ResolvedTextGenerationRequest): Promise<PreparedTextRun> {
    const promptIds = this.encodePrompt(request);
    this.checkLogitBias(request);
    const dynamicRequest = request.dynamicPrecision;
    const primaryPoint = findOperatingPoint(this.folder, dynamicRequest?.full ?? request.precision, request.depth);
    const leases = [await this.session(primaryPoint, request.ep, Boolean(dynamicRequest))];
    try {
      const primary = leases[0]!.value;
      let decoder: DecoderStep = primary;
      let dynamic: DynamicPrecisionDecoder | null = null;
      if (dynamicRequest) {
        leases.push(await this.session(findOperatingPoint(this.folder, dynamicRequest.cheap, request.depth), request.ep, true));
        decoder = dynamic = new DynamicPrecisionDecoder(leases[1]!.value, primary, dynamicRequest.entropyThreshold);
      }
      let window: GenerationConfig['window'] = null;
      if (request.window !== undefined) {
        if (!primary.layout.hasPositionIds) {
          throw new ApiError('bad_request', `${this.folder.name} computes positions inside its graph (no position_ids input), so an attention window would shift them; generate without a window.`);
        }
        const size = request.window === 'auto' ? await this.autoWindow(primary, request.sinks) : request.window;
        window = { sinks: request.sinks, window: size };
        decoder = new SlidingWindowDecoder(decoder, request.sinks, size);
      }
      return { request, config: this.resolveConfig(request, primary, window), promptIds, decoder, primary, dynamic, leases };
    } catch (error) {
      leases.forEach((lease) => lease.release());
      throw error;
    }
  }

  private checkLogitBias({ logitBias }: ResolvedTextGenerationRequest): void {
    const vocab = this.folder.config.vocabSize;
    const outside = Object.keys(logitBias ?? {}).find((id) => Number(id) >= vocab);
    if (outside !== undefined) throw new ApiError('bad_request', `logitBias names token ${outside}, but ${this.folder.name} has ${vocab} tokens (0 to ${vocab - 1}).`, 'logitBias');
  }

  private autoWindow(decoder: DecoderSession, sinks: number): Promise<number> {
    let cost = this.stepCosts.get(decoder);
    if (!cost) {
      cost = measureStepCost(decoder, this.folder.config.contextLength, this.folder.config.bosTokenId ?? 0);
      this.stepCosts.set(decoder, cost);
    }
    return cost.then((measured) => chooseWindow(measured, sinks, this.folder.config.contextLength));
  }

  private resolveConfig(request: ResolvedTextGenerationRequest, primary: DecoderSession, window: GenerationConfig['window']): GenerationConfig {
    const defaults = this.folder.generationDefaults;
    const samplingKnobGiven = [request.temperature, request.topK, request.topP, request.minP, request.seed].some((value) => value !== undefined);
    const doSample = request.doSample ?? (samplingKnobGiven || (defaults.do_sample ?? false));
    return {
      doSample,
      temperature: request.temperature ?? defaults.temperature ?? HF_DEFAULTS.temperature,
      topK: request.topK ?? defaults.top_k ?? HF_DEFAULTS.topK,
      topP: request.topP ?? defaults.top_p ?? HF_DEFAULTS.topP,
      minP: request.minP ?? null,
      repetitionPenalty: request.repetitionPenalty ?? null,
      presencePenalty: request.presencePenalty ?? null,
      frequencyPenalty: request.frequencyPenalty ?? null,
      logitBias: request.logitBias ?? null,
      chatTemplate: request.messages ? this.chatTemplate.source : null,
      seed: doSample ? (request.seed ?? crypto.randomInt(0, 2 ** 32)) : null,
      maxNewTokens: request.maxNewTokens,
      stop: request.stop ?? [],
      ep: primary.ep,
      precision: request.dynamicPrecision ? `${request.dynamicPrecision.cheap}+${request.dynamicPrecision.full}` : primary.precision,
      depth: primary.point.depth,
      window,
      operatingPoint: null,
    };
  }

  /** Runs a prepared request to the end; its sessions go back to the pool afterwards. */
  async run(prepared: PreparedTextRun, hooks: TextGenerationHooks = {}): Promise<TextResult> {
    const { config, promptIds } = prepared;
    try {
      hooks.onStarted?.({ ep: prepared.primary.ep, fallbackReason: prepared.primary.fallbackReason, promptTokens: promptIds.length });
      const decode = (ids: readonly number[]) => this.tokenizer.decode(ids);
      const meter = new RunMeter(promptIds.length);
      let pendingIds: number[] = [];
      const recorder = prepared.request.logprobs === undefined ? undefined : new TokenLogprobRecorder(prepared.request.logprobs, decode, promptIds);
      let passedLogprobs = 0;
      const endMarkers = this.endMarkersFor(prepared);
      const stops = [...config.stop, ...endMarkers];
      const holdback = new StopStringHoldback(stops, (piece) => {
        const logprobs = recorder?.entries.slice(passedLogprobs, (passedLogprobs += pendingIds.length));
        hooks.onText?.(piece, pendingIds, logprobs);
        pendingIds = [];
      });
      const textStreamer = new TextStreamer(decode, (piece) => holdback.push(piece), promptIds, TEXT_INTERVAL_MS);
      const streamer = {
        put: (ids: readonly number[]) => {
          meter.markToken();
          pendingIds.push(...ids);
          textStreamer.put(ids);
          hooks.onToken?.(meter);
        },
        end: () => {
          textStreamer.end();
          holdback.end();
        },
      };
      const { generatedIds, finishReason } = await generateTokens(prepared.decoder, {
        promptIds,
        processors: this.processors(prepared),
        chooser: config.doSample ? new MultinomialChooser(config.seed!) : new GreedyChooser(),
        stopping: this.stopping(prepared, decode, endMarkers, hooks.signal),
        streamer,
        logprobs: recorder,
      });
      const metrics = { ...meter.finish(), precisionShare: prepared.dynamic?.shares() ?? null };
      const text = truncateAtStop(holdback.text, stops);
      const logprobs = recorder ? entriesWithin(recorder.entries, text.length) : null;
      return { text, promptIds, generatedIds, finishReason, config, metrics, logprobs };
    } finally {
      prepared.leases.forEach((lease) => lease.release());
    }
  }

  /** Prepare and run in one call. */
  async generate(request: ResolvedTextGenerationRequest, hooks: TextGenerationHooks = {}): Promise<TextResult> {
    return this.run(await this.prepare(request), hooks);
  }

  private processors({ request, config, promptIds }: PreparedTextRun): LogitsProcessorList {
    const list = new LogitsProcessorList();
    if (request.minNewTokens) list.push(new MinNewTokensLogitsProcessor(request.minNewTokens, this.folder.config.eosTokenIds));
    if (config.repetitionPenalty !== null) list.push(new RepetitionPenaltyLogitsProcessor(config.repetitionPenalty, promptIds));
    if (config.logitBias) list.push(new LogitBiasProcessor(new Map(Object.entries(config.logitBias).map(([id, bias]) => [Number(id), bias]))));
    if (config.presencePenalty || config.frequencyPenalty) list.push(new PresenceFrequencyPenaltyLogitsProcessor(config.presencePenalty ?? 0, config.frequencyPenalty ?? 0));
    if (config.doSample) {
      list.push(new TemperatureLogitsWarper(config.temperature));
      list.push(new TopKLogitsWarper(config.topK));
      list.push(new TopPLogitsWarper(config.topP));
      if (config.minP !== null) list.push(new MinPLogitsWarper(config.minP));
    }
    return list;
  }

  /** A request that forbids ending early (min-new-tokens) keeps going past a spelled-out end marker too. */
  private endMarkersFor({ request }: PreparedTextRun): string[] {
    return request.minNewTokens ? [] : this.endMarkers;
  }

  private stopping({ config, promptIds }: PreparedTextRun, decode: (ids: readonly number[]) => string, endMarkers: string[], signal?: AbortSignal): StoppingCriteriaList {
    const criteria = new StoppingCriteriaList([new MaxNewTokensCriteria(config.maxNewTokens), new EosTokenCriteria(this.folder.config.eosTokenIds)]);
    if (!config.window) criteria.push(new MaxContextCriteria(promptIds.length, this.folder.config.contextLength));
    if (config.stop.length) criteria.push(new StopStringCriteria(config.stop, decode));
    if (endMarkers.length) criteria.push(new StopStringCriteria(endMarkers, decode, 'eos'));
    if (signal) criteria.push(new InterruptableStoppingCriteria(signal));
    return criteria;
  }
}
