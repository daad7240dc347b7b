import crypto from 'node:crypto';
import { ApiError, type ExecutionProvider, type GenerationConfig, type ResolvedTextGenerationRequest, type TextResult } from '../../contract';
import { RunMeter } from '../../metering/run-meter';
import { DecoderSession } from './decoder-session';
import { generateTokens } from './generate';
import { LogitsProcessorList, MinNewTokensLogitsProcessor, TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper } from './logits-processors';
import type { TextModelFolder } from './model-folder';
import { EosTokenCriteria, InterruptableStoppingCriteria, MaxContextCriteria, MaxNewTokensCriteria, StoppingCriteriaList } from './stopping-criteria';
import { TextStreamer } from './streamer';
import { GreedyChooser, MultinomialChooser, type TokenChooser } from './token-chooser';
import { TextTokenizer } from './tokenizer';

export interface TextGenerationHooks {
  signal?: AbortSignal;
  onStarted?(info: { ep: ExecutionProvider; fallbackReason: string | null; promptTokens: number }): void;
  onText?(text: string, ids: readonly number[]): void;
  onToken?(meter: RunMeter): void;
}

/** Streamed text is decoded this often: smoother than any UI needs, and off the per-token path. */
const TEXT_INTERVAL_MS = 16;

/** Hugging Face GenerationConfig defaults, used where neither the request nor generation_config.json says. */
const HF_DEFAULTS = { temperature: 1, topK: 50, topP: 1 };

/** A loaded text model: its tokenizer and one warm decoder session. */
export class TextGenerator {
  private constructor(
    readonly folder: TextModelFolder,
    private readonly tokenizer: TextTokenizer,
    private readonly session: DecoderSession,
  ) {}

  static async load(folder: TextModelFolder, precision: string, ep: ExecutionProvider): Promise<TextGenerator> {
    const tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, folder.name);
    return new TextGenerator(folder, tokenizer, await DecoderSession.open(folder, precision, ep));
  }

  get ep(): ExecutionProvider {
    return this.session.ep;
  }

  resolveConfig(request: ResolvedTextGenerationRequest): GenerationConfig {
    const defaults = this.folder.generationDefaults;
    const samplingKnobGiven = [request.temperature, request.topK, request.topP, request.seed].some((value) => value !== undefined);
    const doSample = request.doSample ?? (samplingKnobGiven || (defaults.do_sample ?? false));
    return {
      doSample,
      temperature: request.temperature ?? defaults.temperature ?? HF_DEFAULTS.temperature,
      topK: request.topK ?? defaults.top_k ?? HF_DEFAULTS.topK,
      topP: request.topP ?? defaults.top_p ?? HF_DEFAULTS.topP,
      seed: doSample ? (request.seed ?? crypto.randomInt(0, 2 ** 32)) : null,
      maxNewTokens: request.maxNewTokens,
      ep: this.session.ep,
      precision: this.session.precision,
    };
  }

  encodePrompt(prompt: string): number[] {
    const promptIds = this.tokenizer.encode(prompt);
    const context = this.folder.config.contextLength;
    if (promptIds.length === 0) throw new ApiError('bad_request', `The prompt is empty and ${this.folder.name} has no start token to begin from.`);
    if (promptIds.length >= context) {
      throw new ApiError('bad_request', `The prompt is ${promptIds.length} tokens but ${this.folder.name} holds ${context}; shorten the prompt.`);
    }
    return promptIds;
  }

  async generate(request: ResolvedTextGenerationRequest, hooks: TextGenerationHooks = {}): Promise<TextResult> {
    const config = this.resolveConfig(request);
    const promptIds = this.encodePrompt(request.prompt);
    hooks.onStarted?.({ ep: this.session.ep, fallbackReason: this.session.fallbackReason, promptTokens: promptIds.length });

    const processors = new LogitsProcessorList();
    if (request.minNewTokens) processors.push(new MinNewTokensLogitsProcessor(request.minNewTokens, this.folder.config.eosTokenIds));
    let chooser: TokenChooser = new GreedyChooser();
    if (config.doSample) {
      processors.push(new TemperatureLogitsWarper(config.temperature));
      processors.push(new TopKLogitsWarper(config.topK));
      processors.push(new TopPLogitsWarper(config.topP));
      chooser = new MultinomialChooser(config.seed!);
    }
    const stopping = new StoppingCriteriaList([
      new MaxNewTokensCriteria(config.maxNewTokens),
      new EosTokenCriteria(this.folder.config.eosTokenIds),
      new MaxContextCriteria(promptIds.length, this.folder.config.contextLength),
    ]);
    if (hooks.signal) stopping.push(new InterruptableStoppingCriteria(hooks.signal));

    const meter = new RunMeter(promptIds.length);
    let text = '';
    let pendingIds: number[] = [];
    const textStreamer = new TextStreamer(
      (ids) => this.tokenizer.decode(ids),
      (piece) => {
        text += piece;
        hooks.onText?.(piece, pendingIds);
        pendingIds = [];
      },
      promptIds,
      TEXT_INTERVAL_MS,
    );
    const streamer = {
      put: (ids: readonly number[]) => {
        meter.markToken();
        pendingIds.push(...ids);
        textStreamer.put(ids);
        hooks.onToken?.(meter);
      },
      end: () => textStreamer.end(),
    };
    const { generatedIds, finishReason } = await generateTokens(this.session, { promptIds, processors, chooser, stopping, streamer });
    return { text, promptIds, generatedIds, finishReason, config, metrics: meter.snapshot() };
  }

  /** The decoder session, for benchmarks that time it bare. */
  get decoder(): DecoderSession {
    return this.session;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
