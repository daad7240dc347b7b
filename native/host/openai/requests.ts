import type { ChatMessage, ExecutionProvider, FinishReason, ModelInfo, TextGenerationRequest, TextResult } from '../../contract';
import {
  OPENAI_COMPLETIONS_DEFAULT_MAX_TOKENS,
  OPENAI_MAX_TOKENS_LIMIT,
  type ChatCompletionRequest,
  type CompletionRequest,
  type OpenAiChatMessage,
  type OpenAiFinishReason,
  type OpenAiUsage,
} from '../../contract/openai';

type CommonFields = Omit<CompletionRequest, 'prompt' | 'echo' | 'suffix' | 'best_of' | 'logprobs'>;

/** The sampling, stop and operating-point fields of a studio request, from OpenAI's names. */
function generationFields(body: CommonFields, maxNewTokens: number, ep: ExecutionProvider): Omit<TextGenerationRequest, 'model' | 'prompt' | 'messages'> {
  const stop = typeof body.stop === 'string' ? [body.stop] : body.stop?.length ? body.stop : undefined;
  const extensions = {
    maxNewTokens,
    ep,
    stop,
    minNewTokens: body.min_tokens ?? undefined,
    repetitionPenalty: body.repetition_penalty ?? undefined,
    precision: body.precision ?? undefined,
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

export function completionToStudio(body: CompletionRequest, model: ModelInfo, ep: ExecutionProvider): TextGenerationRequest {
  return {
    model: model.id,
    prompt: typeof body.prompt === 'string' ? body.prompt : body.prompt[0],
    ...generationFields(body, body.max_tokens ?? OPENAI_COMPLETIONS_DEFAULT_MAX_TOKENS, ep),
  };
}

function messageText(content: OpenAiChatMessage['content']): string {
  if (content === null || content === undefined) return '';
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

/** Chat without a max_tokens runs until the end of the turn or the model's context, as OpenAI's does. */
export function chatToStudio(body: ChatCompletionRequest, model: ModelInfo, ep: ExecutionProvider): TextGenerationRequest {
  const messages: ChatMessage[] = body.messages.map((message) => ({
    role: message.role === 'developer' ? 'system' : message.role,
    content: messageText(message.content),
  }));
  const maxNewTokens = body.max_completion_tokens ?? body.max_tokens ?? Math.min(model.contextLength, OPENAI_MAX_TOKENS_LIMIT);
  return { model: model.id, messages, ...generationFields(body, maxNewTokens, ep) };
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

export function usageOf(result: TextResult): OpenAiUsage {
  const prompt = result.promptIds.length;
  const completion = result.generatedIds.length;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
