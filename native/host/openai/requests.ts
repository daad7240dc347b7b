import type { ChatMessage, ExecutionProvider, FinishReason, TextGenerationRequest } from '../../contract';
import {
  OPENAI_COMPLETIONS_DEFAULT_MAX_TOKENS,
  OPENAI_MAX_TOKENS_LIMIT,
  type ChatCompletionRequest,
  type CompletionRequest,
  type OpenAiChatMessage,
  type OpenAiFinishReason,
} from '../../contract/openai';
import { OpenAiError } from './http';
import type { ApiTarget } from './models';

type CommonFields = Omit<CompletionRequest, 'prompt' | 'echo' | 'suffix' | 'best_of' | 'logprobs'>;

/** Where a request runs: its model (or a family member λ plans from), λ, and the knobs fixed by hand. */
interface RequestContext {
  target: ApiTarget;
  ep: ExecutionProvider;
  /** The saved slider position, for a family id without `pareto.lambda`. */
  savedLambda: number;
}

/** The model and operating-point fields: a family id is planned by λ, a model id runs as given. */
function operatingPoint(body: CommonFields, { target, ep, savedLambda }: RequestContext): Pick<TextGenerationRequest, 'model' | 'lambda' | 'precision' | 'depth' | 'window' | 'ep'> {
  const pareto = body.pareto ?? {};
  if (!target.isFamily && pareto.lambda !== null && pareto.lambda !== undefined) {
    const family = target.family ? `send model "${target.family}" to let λ choose` : 'it belongs to no family with measured quality';
    throw new OpenAiError(400, `pareto.lambda chooses across a family, but "${target.id}" is one model: ${family}.`, 'invalid_request_error', 'pareto.lambda', 'invalid_value');
  }
  return {
    model: target.members[0]!.id,
    lambda: target.isFamily ? (pareto.lambda ?? savedLambda) : undefined,
    precision: pareto.precision ?? body.precision ?? undefined,
    depth: pareto.depth ?? undefined,
    window: pareto.window ?? undefined,
    ep,
  };
}

/** The sampling, penalty and stop fields of a studio request, from OpenAI's names. */
function generationFields(body: CommonFields, maxNewTokens: number): Omit<TextGenerationRequest, 'model' | 'prompt' | 'messages'> {
  const stop = typeof body.stop === 'string' ? [body.stop] : body.stop?.length ? body.stop : undefined;
  const extensions = {
    maxNewTokens,
    stop,
    minNewTokens: body.min_tokens ?? undefined,
    repetitionPenalty: body.repetition_penalty ?? undefined,
    presencePenalty: body.presence_penalty || undefined,
    frequencyPenalty: body.frequency_penalty || undefined,
    logitBias: body.logit_bias && Object.keys(body.logit_bias).length ? body.logit_bias : undefined,
  };
  // OpenAI's temperature 0 (and top_p 0) mean "always the likeliest token": the engine's greedy decoding.
  if (body.temperature === 0 || body.top_p === 0) return { ...extensions, doSample: false };
  // Otherwise sampling, as in OpenAI; knobs left out take the model's generation_config defaults.
  return {
    ...extensions,
    doSample: true,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    topK: body.top_k ?? undefined,
    minP: body.min_p ?? undefined,
    seed: body.seed === null || body.seed === undefined ? undefined : ((body.seed % 2 ** 32) + 2 ** 32) % 2 ** 32,
  };
}

export function completionToStudio(body: CompletionRequest, context: RequestContext): TextGenerationRequest {
  return {
    ...operatingPoint(body, context),
    prompt: typeof body.prompt === 'string' ? body.prompt : body.prompt[0],
    ...generationFields(body, body.max_tokens ?? OPENAI_COMPLETIONS_DEFAULT_MAX_TOKENS),
    logprobs: body.logprobs ?? undefined,
  };
}

function messageText(content: OpenAiChatMessage['content']): string {
  if (content === null || content === undefined) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

/** Chat without a max_tokens runs until the end of the turn or the model's context, as OpenAI's does. */
export function chatToStudio(body: ChatCompletionRequest, context: RequestContext): TextGenerationRequest {
  const messages: ChatMessage[] = body.messages.map((message) => ({
    role: message.role === 'developer' ? 'system' : message.role,
    content: messageText(message.content),
  }));
  const contextLength = Math.max(...context.target.members.map((model) => model.contextLength));
  const maxNewTokens = body.max_completion_tokens ?? body.max_tokens ?? Math.min(contextLength, OPENAI_MAX_TOKENS_LIMIT);
  return {
    ...operatingPoint(body, context),
    messages,
    ...generationFields(body, maxNewTokens),
    logprobs: body.logprobs ? (body.top_logprobs ?? 0) : undefined,
  };
}

/**
 * The request for choice `index` of n: sampled choices differ by seed (seed + index when one was given),
 * and every choice after the first runs at the point the first ran at, so λ is not re-planned between them.
 */
export function nthChoice(request: TextGenerationRequest, index: number, ranAt: { model: string; precision: string; depth: number | null } | null): TextGenerationRequest {
  const seed = request.seed === undefined || index === 0 ? request.seed : (request.seed + index) % 2 ** 32;
  if (!ranAt) return { ...request, seed };
  return { ...request, seed, model: ranAt.model, lambda: undefined, precision: ranAt.precision, depth: ranAt.depth ?? undefined };
}

const FINISH_REASONS: Record<Exclude<FinishReason, 'cancelled'>, OpenAiFinishReason> = {
  eos: 'stop',
  stop: 'stop',
  length: 'length',
  context: 'length',
};

/** OpenAI's finish reason for a finished job; a cancelled one never reaches a client (it left). */
export function finishReason(reason: FinishReason): OpenAiFinishReason {
  return reason === 'cancelled' ? 'stop' : FINISH_REASONS[reason];
}
