import { z } from 'zod';
import { MAX_NEW_TOKENS } from './schemas';

/**
 * The OpenAI-compatible API (`/v1`), served by the same host as the studio's own API: requests
 * map onto `startTextJob` and its event stream. Fields OpenAI defines but the studio cannot honour
 * are refused with a 400 naming them; fields it does not know are ignored, as other local servers do.
 * Extensions (`top_k`, `min_p`, `repetition_penalty`, `min_tokens`, `precision`) pass through.
 */
export const OPENAI_ROUTES = {
  prefix: '/v1',
  models: '/v1/models',
  completions: '/v1/completions',
  chatCompletions: '/v1/chat/completions',
} as const;

/** The host's limit on new tokens per request. */
export const OPENAI_MAX_TOKENS_LIMIT = MAX_NEW_TOKENS;
/** OpenAI's default `max_tokens` for `/v1/completions`. */
export const OPENAI_COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

const unsupported = (what: string) => `${what} is not supported by Pareto Studio`;

const maxTokensSchema = z.number().int().min(1).max(OPENAI_MAX_TOKENS_LIMIT).nullish();

/** A penalty the engine has no processor for: accepted only when it changes nothing. */
const zeroOnly = (what: string) =>
  z.number().min(-2).max(2).nullish().refine((value) => !value, `${unsupported(what)} (only 0); use repetition_penalty (e.g. 1.1) instead`);

const stopString = z.string().min(1, 'stop strings must not be empty').max(200, 'stop strings must be at most 200 characters');
const stopSchema = z.union([stopString, z.array(stopString).max(16, 'stop holds at most 16 strings')], {
  error: 'stop must be a non-empty string or an array of at most 16 of them (each at most 200 characters)',
});

/** Fields both endpoints share: the model, sampling, stop strings, streaming, and the studio's extensions. */
const commonFields = {
  model: z.string({ error: 'model is required: one of the ids GET /v1/models lists' }).min(1, 'model is required'),
  max_tokens: maxTokensSchema,
  /** 0 means greedy decoding; omitted, the model's generation_config default (else 1) with sampling on. */
  temperature: z.number().min(0, 'temperature must be between 0 and 2').max(2, 'temperature must be between 0 and 2').nullish(),
  /** 0 means greedy decoding. */
  top_p: z.number().min(0, 'top_p must be between 0 and 1').max(1, 'top_p must be between 0 and 1').nullish(),
  n: z.literal(1, { error: `${unsupported('n other than 1')}: send one request per choice` }).nullish(),
  stop: stopSchema.nullish(),
  /** Any safe integer; the engine's seed is taken modulo 2^32. */
  seed: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  presence_penalty: zeroOnly('presence_penalty'),
  frequency_penalty: zeroOnly('frequency_penalty'),
  logit_bias: z
    .record(z.string(), z.number())
    .nullish()
    .refine((bias) => !bias || Object.keys(bias).length === 0, unsupported('logit_bias')),
  user: z.string().nullish(),
  // Extensions: the studio's own sampling knobs and operating point.
  top_k: z.number().int().min(0).max(1_000_000).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repetition_penalty: z.number().gt(0).max(10).nullish(),
  min_tokens: z.number().int().min(0).max(OPENAI_MAX_TOKENS_LIMIT).nullish(),
  precision: z.string().min(1).nullish(),
};

export const CompletionRequestSchema = z.object({
  ...commonFields,
  /** One prompt; a one-element array of strings is taken as that string. */
  prompt: z.union([z.string().max(1_000_000), z.tuple([z.string().max(1_000_000)])], {
    error: 'prompt must be one string (at most 1,000,000 characters): arrays of several prompts and token-id arrays are not supported',
  }),
  echo: z.boolean().nullish(),
  suffix: z.string().nullish().refine((suffix) => !suffix, unsupported('suffix (fill-in-the-middle)')),
  best_of: z.literal(1, { error: unsupported('best_of other than 1') }).nullish(),
  logprobs: z.number().int().nullish().refine((value) => value === null || value === undefined, unsupported('logprobs')),
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

const TextPartSchema = z.object({ type: z.literal('text'), text: z.string() });

export const OpenAiChatMessageSchema = z
  .object({
    /** `developer` is OpenAI's newer name for `system`. */
    role: z.enum(['system', 'developer', 'user', 'assistant'], {
      error: 'role must be system, developer, user or assistant (tool and function messages are not supported)',
    }),
    content: z
      .union([z.string().max(1_000_000), z.array(TextPartSchema).max(1000)], {
        error: 'content must be a string or an array of {type: "text", text} parts: images, audio and files are not supported',
      })
      .nullish(),
    name: z.string().nullish(),
  })
  .refine((message) => message.role === 'assistant' || (message.content !== null && message.content !== undefined), {
    message: 'content is required (a string or an array of text parts)',
    path: ['content'],
  });
export type OpenAiChatMessage = z.infer<typeof OpenAiChatMessageSchema>;

export const ChatCompletionRequestSchema = z.object({
  ...commonFields,
  messages: z.array(OpenAiChatMessageSchema).min(1, 'messages must hold at least one message').max(1000),
  /** OpenAI's newer name for max_tokens; wins when both are given. */
  max_completion_tokens: maxTokensSchema,
  logprobs: z.boolean().nullish().refine((value) => !value, unsupported('logprobs')),
  top_logprobs: z.number().int().nullish().refine((value) => value === null || value === undefined, unsupported('top_logprobs')),
  tools: z.array(z.unknown()).nullish().refine((tools) => !tools?.length, unsupported('tools (function calling)')),
  functions: z.array(z.unknown()).nullish().refine((functions) => !functions?.length, unsupported('functions (function calling)')),
  tool_choice: z.unknown().optional().refine((choice) => choice === undefined || choice === null || choice === 'none', unsupported('tool_choice other than "none"')),
  response_format: z
    .object({ type: z.string() })
    .nullish()
    .refine((format) => !format || format.type === 'text', unsupported('response_format other than {type: "text"} (no JSON mode)')),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

// Responses, in OpenAI's shapes.

export type OpenAiFinishReason = 'stop' | 'length';

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface OpenAiModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: 'pareto-studio';
}

export interface OpenAiModelList {
  object: 'list';
  data: OpenAiModel[];
}

export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: { index: 0; text: string; finish_reason: OpenAiFinishReason | null; logprobs: null }[];
  usage?: OpenAiUsage | null;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: { index: 0; message: { role: 'assistant'; content: string; refusal: null }; finish_reason: OpenAiFinishReason; logprobs: null }[];
  usage: OpenAiUsage;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: 0; delta: { role?: 'assistant'; content?: string }; finish_reason: OpenAiFinishReason | null; logprobs: null }[];
  usage?: OpenAiUsage | null;
}

export const OPENAI_ERROR_TYPES = ['invalid_request_error', 'authentication_error', 'not_found_error', 'server_error'] as const;

export interface OpenAiErrorBody {
  error: { message: string; type: (typeof OPENAI_ERROR_TYPES)[number]; param: string | null; code: string | null };
}
