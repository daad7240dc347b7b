import { isEstimatedSource, type GenerationConfig, type RunMetrics, type TextResult, type TokenLogprob } from '../../contract';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatLogprobs,
  Completion,
  CompletionLogprobs,
  OpenAiFinishReason,
  OpenAiUsage,
  ParetoEnergyCost,
  ParetoTextCost,
  ParetoTextInfo,
} from '../../contract/openai';
import type { ApiTarget } from './models';
import { finishReason } from './requests';

export interface ResponseMeta {
  id: string;
  created: number;
  /** The model that ran: for a family id, the member λ chose. */
  model: string;
}

/** One finished choice: its job's result and the model that ran it. */
export interface FinishedChoice {
  model: string;
  result: TextResult;
}

/** What differs between the two generation endpoints: the id prefix and the shapes of whole answers and stream chunks. */
export interface ResponseShape {
  idPrefix: 'cmpl' | 'chatcmpl';
  /** Chunks a choice's stream opens with, before any text. */
  opening(meta: ResponseMeta, index: number): object[];
  piece(meta: ResponseMeta, index: number, text: string, logprobs: readonly TokenLogprob[] | undefined): object;
  last(meta: ResponseMeta, index: number, finish: OpenAiFinishReason): object;
  whole(meta: ResponseMeta, choices: readonly FinishedChoice[], pareto: ParetoTextInfo): object;
}

const utf8Bytes = (text: string) => [...Buffer.from(text, 'utf8')];

function chatLogprobs(entries: readonly TokenLogprob[] | null | undefined): ChatLogprobs | null {
  if (!entries) return null;
  const choice = (entry: { token: string; logprob: number }) => ({ token: entry.token, logprob: entry.logprob, bytes: utf8Bytes(entry.token) });
  return { content: entries.map((entry) => ({ ...choice(entry), top_logprobs: entry.top.map(choice) })), refusal: null };
}

/** The legacy completions shape; offsets count from `offset`, the characters before the first token. */
function completionLogprobs(entries: readonly TokenLogprob[] | null | undefined, offset: number): CompletionLogprobs | null {
  if (!entries) return null;
  const text_offset: number[] = [];
  for (const entry of entries) {
    text_offset.push(offset);
    offset += entry.token.length;
  }
  return {
    tokens: entries.map((entry) => entry.token),
    token_logprobs: entries.map((entry) => entry.logprob),
    top_logprobs: entries.some((entry) => entry.top.length) ? entries.map((entry) => Object.fromEntries(entry.top.map((top) => [top.token, top.logprob]))) : null,
    text_offset,
  };
}

export function completionShape(echo: string | null): ResponseShape {
  const chunk = (meta: ResponseMeta, index: number, text: string, finish: OpenAiFinishReason | null, logprobs: CompletionLogprobs | null = null): Completion => ({
    ...meta,
    object: 'text_completion',
    choices: [{ index, text, finish_reason: finish, logprobs }],
  });
  const offsets = new Map<number, number>();
  return {
    idPrefix: 'cmpl',
    opening: (meta, index) => (echo ? [chunk(meta, index, echo, null)] : []),
    piece: (meta, index, text, logprobs) => {
      const offset = offsets.get(index) ?? echo?.length ?? 0;
      offsets.set(index, offset + text.length);
      return chunk(meta, index, text, null, completionLogprobs(logprobs, offset));
    },
    last: (meta, index, finish) => chunk(meta, index, '', finish),
    whole: (meta, choices, pareto): Completion => ({
      ...meta,
      object: 'text_completion',
      choices: choices.map(({ result }, index) => ({
        index,
        text: (echo ?? '') + result.text,
        finish_reason: finishReason(result.finishReason),
        logprobs: completionLogprobs(result.logprobs, echo?.length ?? 0),
      })),
      usage: usageOf(choices),
      pareto,
    }),
  };
}

export const chatShape: ResponseShape = (() => {
  const chunk = (meta: ResponseMeta, index: number, delta: ChatCompletionChunk['choices'][number]['delta'], finish: OpenAiFinishReason | null, logprobs: ChatLogprobs | null = null): ChatCompletionChunk => ({
    ...meta,
    object: 'chat.completion.chunk',
    choices: [{ index, delta, finish_reason: finish, logprobs }],
  });
  return {
    idPrefix: 'chatcmpl',
    opening: (meta, index) => [chunk(meta, index, { role: 'assistant' }, null)],
    piece: (meta, index, text, logprobs) => chunk(meta, index, { content: text }, null, chatLogprobs(logprobs)),
    last: (meta, index, finish) => chunk(meta, index, {}, finish),
    whole: (meta, choices, pareto): ChatCompletion => ({
      ...meta,
      object: 'chat.completion',
      choices: choices.map(({ result }, index) => ({
        index,
        message: { role: 'assistant', content: result.text, refusal: null },
        finish_reason: finishReason(result.finishReason),
        logprobs: chatLogprobs(result.logprobs),
      })),
      usage: usageOf(choices),
      pareto,
    }),
  };
})();

/** The prompt is counted once, as OpenAI does for n choices of one prompt. */
export function usageOf(choices: readonly FinishedChoice[]): OpenAiUsage {
  const prompt = choices[0]?.result.promptIds.length ?? 0;
  const completion = choices.reduce((sum, { result }) => sum + result.generatedIds.length, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

const sumOrNull = (values: readonly (number | null)[]) => (values.some((value) => value === null) ? null : values.reduce<number>((sum, value) => sum + value!, 0));

/** Energy as the meter reported it; a source named `estimated:…` was modelled, not measured. */
export function energyOf(metrics: readonly Pick<RunMetrics, 'energyJ' | 'energySource' | 'energyJRange'>[], outputs: number): ParetoEnergyCost {
  const source = metrics[0]?.energySource ?? null;
  const energy = sumOrNull(metrics.map((m) => m.energyJ));
  const ranges = metrics.map((m) => m.energyJRange);
  const range = ranges.every((r) => r !== null) && ranges.length > 0 ? { low: ranges.reduce((sum, r) => sum + r!.low, 0), high: ranges.reduce((sum, r) => sum + r!.high, 0) } : null;
  return {
    energy_j: energy,
    energy_source: source,
    energy_estimated: source === null ? null : isEstimatedSource(source),
    energy_j_range: range,
    joules_per_output: energy === null || outputs === 0 ? null : energy / outputs,
  };
}

/** The cost of all the choices: time to the first one's first token, decode speed over every token, totals summed. */
function costOf(choices: readonly FinishedChoice[]): ParetoTextCost {
  const metrics = choices.map(({ result }) => result.metrics);
  const timed = metrics.filter((m) => m.msPerToken !== null && m.generatedTokens > 1);
  const decodeTokens = timed.reduce((sum, m) => sum + m.generatedTokens, 0);
  const msPerToken = metrics.length === 1 ? metrics[0]!.msPerToken : decodeTokens ? timed.reduce((sum, m) => sum + m.msPerToken! * m.generatedTokens, 0) / decodeTokens : null;
  return {
    ttft_ms: metrics[0]!.ttftMs,
    ms_per_token: msPerToken,
    tokens_per_second: metrics.length === 1 ? metrics[0]!.tokensPerSecond : msPerToken ? 1000 / msPerToken : null,
    total_ms: metrics.reduce((sum, m) => sum + m.totalMs, 0),
    ...energyOf(metrics, metrics.reduce((sum, m) => sum + m.generatedTokens, 0)),
    peak_rss_mb: Math.max(...metrics.map((m) => m.peakRssMb)),
  };
}

function lambdaChoice(point: GenerationConfig['operatingPoint']): ParetoTextInfo['lambda_choice'] {
  if (!point) return null;
  const { lambda, utility, quality, efficiency, bitsPerByte, msPerToken } = point;
  return { lambda, utility, quality, efficiency, bits_per_byte: bitsPerByte, predicted_ms_per_token: msPerToken };
}

/** The `pareto` extension: which model, point and chat template ran, and what the answer cost. */
export function paretoInfo(target: ApiTarget, choices: readonly FinishedChoice[]): ParetoTextInfo {
  const { config } = choices[0]!.result;
  return {
    model: choices[0]!.model,
    family: target.family,
    chat_template: config.chatTemplate,
    point: { precision: config.precision, depth: config.depth, window: config.window, ep: config.ep },
    lambda_choice: lambdaChoice(config.operatingPoint),
    cost: costOf(choices),
  };
}
