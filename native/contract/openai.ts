import { z } from 'zod';
import { MAX_NEW_TOKENS, MAX_TOP_LOGPROBS, type ChatTemplateSource } from './schemas';

/**
 * The OpenAI-compatible API (`/v1`), served by the same host as the studio's own API: requests
 * map onto `startTextJob` / `startImageJob` and their event stream. Fields OpenAI defines but the
 * studio cannot honour are refused with a 400 naming them; fields it does not know are ignored, as
 * other local servers do. Extensions (`top_k`, `min_p`, `repetition_penalty`, `min_tokens`,
 * `precision`, and `pareto: {lambda, precision, depth, window}`) pass through; every answer carries
 * a `pareto` object saying which model, operating point and chat template ran and what it cost.
 */
export const OPENAI_ROUTES = {
  prefix: '/v1',
  models: '/v1/models',
  completions: '/v1/completions',
  chatCompletions: '/v1/chat/completions',
  imageGenerations: '/v1/images/generations',
} as const;

/** The most choices (`n`) one request may ask for: they run one after another on the queue. */
export const OPENAI_MAX_CHOICES = 8;

/** The host's limit on new tokens per request. */
export const OPENAI_MAX_TOKENS_LIMIT = MAX_NEW_TOKENS;
/** OpenAI's default `max_tokens` for `/v1/completions`. */
export const OPENAI_COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

const unsupported = (what: string) => `${what} is not supported by Pareto Studio`;

const maxTokensSchema = z.number().int().min(1).max(OPENAI_MAX_TOKENS_LIMIT).nullish();

const penalty = (name: string) => z.number({ error: `${name} must be a number between -2 and 2` }).min(-2, `${name} must be between -2 and 2`).max(2, `${name} must be between -2 and 2`).nullish();

const choicesSchema = z
  .number({ error: `n must be an integer from 1 to ${OPENAI_MAX_CHOICES}` })
  .int(`n must be an integer from 1 to ${OPENAI_MAX_CHOICES}`)
  .min(1, `n must be at least 1`)
  .max(OPENAI_MAX_CHOICES, `n is at most ${OPENAI_MAX_CHOICES} here: the choices run one after another`)
  .nullish();

/** The studio's operating-point knobs: λ for a family id, the rest fixing a knob by hand. */
export const ParetoTextOptionsSchema = z.strictObject({
  /** 0 = most efficient … 1 = best quality; only with a family id (default: the studio's saved slider). */
  lambda: z.number().min(0, 'lambda must be between 0 and 1').max(1, 'lambda must be between 0 and 1').nullish(),
  precision: z.string().min(1).nullish(),
  depth: z.number().int().min(1).max(1024).nullish(),
  /** Attention window (last W positions plus 4 sinks), or 'auto' to pick W from the measured cost. */
  window: z.union([z.number().int().min(1).max(1_000_000), z.literal('auto')], { error: 'window must be a positive integer or "auto"' }).nullish(),
});
export type ParetoTextOptions = z.infer<typeof ParetoTextOptionsSchema>;
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
  n: choicesSchema,
  stop: stopSchema.nullish(),
  /** Any safe integer; the engine's seed is taken modulo 2^32. */
  seed: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  presence_penalty: penalty('presence_penalty'),
  frequency_penalty: penalty('frequency_penalty'),
  /** Token id → bias added to its logit, −100 to 100. */
  logit_bias: z
    .record(z.string().regex(/^\d+$/, 'logit_bias keys must be token ids'), z.number().min(-100, 'logit_bias values must be between -100 and 100').max(100, 'logit_bias values must be between -100 and 100'))
    .nullish(),
  user: z.string().nullish(),
  // Extensions: the studio's own sampling knobs and operating point.
  top_k: z.number().int().min(0).max(1_000_000).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repetition_penalty: z.number().gt(0).max(10).nullish(),
  min_tokens: z.number().int().min(0).max(OPENAI_MAX_TOKENS_LIMIT).nullish(),
  precision: z.string().min(1).nullish(),
  pareto: ParetoTextOptionsSchema.nullish(),
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
  /** Log-probabilities of each token and of this many likeliest alternatives. */
  logprobs: z.number().int().min(0, `logprobs must be from 0 to ${MAX_TOP_LOGPROBS}`).max(MAX_TOP_LOGPROBS, `logprobs must be from 0 to ${MAX_TOP_LOGPROBS}`).nullish(),
}).refine((body) => !(body.echo && typeof body.logprobs === 'number'), {
  message: `${unsupported('echo with logprobs')}: log-probabilities cover the generated tokens only`,
  path: ['echo'],
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
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0, `top_logprobs must be from 0 to ${MAX_TOP_LOGPROBS}`).max(MAX_TOP_LOGPROBS, `top_logprobs must be from 0 to ${MAX_TOP_LOGPROBS}`).nullish(),
  tools: z.array(z.unknown()).nullish().refine((tools) => !tools?.length, unsupported('tools (function calling)')),
  functions: z.array(z.unknown()).nullish().refine((functions) => !functions?.length, unsupported('functions (function calling)')),
  tool_choice: z.unknown().optional().refine((choice) => choice === undefined || choice === null || choice === 'none', unsupported('tool_choice other than "none"')),
  response_format: z
    .object({ type: z.string() })
    .nullish()
    .refine((format) => !format || format.type === 'text', unsupported('response_format other than {type: "text"} (no JSON mode)')),
}).refine((body) => body.top_logprobs === null || body.top_logprobs === undefined || body.logprobs === true, {
  message: 'top_logprobs needs logprobs: true',
  path: ['top_logprobs'],
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

const imageSizeSchema = z
  .string()
  .regex(/^(auto|[1-9]\d{0,4}x[1-9]\d{0,4})$/, 'size must be WIDTHxHEIGHT in pixels (e.g. 32x32) or "auto" for the model\'s own size');

/** `POST /v1/images/generations`, in OpenAI's shape, with the studio's image knobs as extensions. */
export const OpenAiImageRequestSchema = z.object({
  prompt: z.string({ error: 'prompt is required' }).min(1, 'prompt must not be empty').max(10_000, 'prompt is longer than 10,000 characters'),
  /** A model or family id from GET /v1/models; absent: the bundled image family at the saved slider. */
  model: z.string().min(1).nullish(),
  n: choicesSchema,
  size: imageSizeSchema.nullish(),
  response_format: z.literal('b64_json', { error: `${unsupported('response_format other than b64_json')}: images are returned inline, never as URLs` }).nullish(),
  output_format: z.literal('png', { error: `${unsupported('output_format other than png')}` }).nullish(),
  user: z.string().nullish(),
  // Extensions: the studio's image knobs.
  seed: z.number().int().min(0).max(0xffff_ffff).nullish(),
  steps: z.number().int().min(1).max(1000).nullish(),
  lambda: z.number().min(0, 'lambda must be between 0 and 1').max(1, 'lambda must be between 0 and 1').nullish(),
  guidance: z.number().min(0).max(50).nullish(),
  negative_prompt: z.string().max(10_000).nullish(),
  precision: z.string().min(1).nullish(),
});
export type OpenAiImageRequest = z.infer<typeof OpenAiImageRequestSchema>;

// Responses, in OpenAI's shapes.

export type OpenAiFinishReason = 'stop' | 'length';

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The energy of a run as the meter reported it: measured from a counter, or its labelled estimate (`energy_estimated`). */
export interface ParetoEnergyCost {
  energy_j: number | null;
  energy_source: string | null;
  energy_estimated: boolean | null;
  /** An estimate's likely range in joules; null for a measured figure. */
  energy_j_range: { low: number; high: number } | null;
  /** Joules per generated token, or per image. */
  joules_per_output: number | null;
}

/** What a run cost on this device. */
export interface ParetoTextCost extends ParetoEnergyCost {
  ttft_ms: number | null;
  ms_per_token: number | null;
  tokens_per_second: number | null;
  total_ms: number;
  peak_rss_mb: number;
}

/** λ's choice, when the slider picked the operating point (a request to a family id). */
export interface ParetoLambdaChoice {
  lambda: number;
  utility: number;
  quality: number;
  efficiency: number;
}

/** The `pareto` extension of every text answer: the point that ran and what it cost (summed over the choices). */
export interface ParetoTextInfo {
  model: string;
  family: string | null;
  chat_template: ChatTemplateSource | null;
  point: { precision: string; depth: number | null; window: { sinks: number; window: number } | null; ep: string };
  lambda_choice: (ParetoLambdaChoice & { bits_per_byte: number; predicted_ms_per_token: number }) | null;
  cost: ParetoTextCost;
}

export interface ParetoModelPoint {
  model: string;
  precision: string;
  /** Text: active layers. */
  depth?: number;
  /** Images: diffusion steps. */
  steps?: number | null;
  /** Held-out bits per byte (text) or Fréchet distance (images) from pareto.json; null when undeclared. */
  bits_per_byte?: number | null;
  frechet_distance?: number | null;
}

export interface OpenAiModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: 'pareto-studio';
  pareto: {
    kind: 'text' | 'image';
    /** True for a family id: requests to it are planned by λ across `models`. */
    is_family: boolean;
    family: string | null;
    models: string[];
    precisions: string[];
    context_length: number | null;
    operating_points: ParetoModelPoint[];
  };
}

export interface OpenAiModelList {
  object: 'list';
  data: OpenAiModel[];
}

export interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Record<string, number>[] | null;
  text_offset: number[];
}

interface ChatTokenChoice {
  token: string;
  logprob: number;
  bytes: number[];
}
export interface ChatLogprobs {
  content: (ChatTokenChoice & { top_logprobs: ChatTokenChoice[] })[];
  refusal: null;
}

export interface Completion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: { index: number; text: string; finish_reason: OpenAiFinishReason | null; logprobs: CompletionLogprobs | null }[];
  usage?: OpenAiUsage | null;
  pareto?: ParetoTextInfo;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: { index: number; message: { role: 'assistant'; content: string; refusal: null }; finish_reason: OpenAiFinishReason; logprobs: ChatLogprobs | null }[];
  usage: OpenAiUsage;
  pareto: ParetoTextInfo;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: number; delta: { role?: 'assistant'; content?: string }; finish_reason: OpenAiFinishReason | null; logprobs: ChatLogprobs | null }[];
  usage?: OpenAiUsage | null;
  pareto?: ParetoTextInfo;
}

export interface ParetoImageCost extends ParetoEnergyCost {
  s_per_image: number;
  ms_per_step: number | null;
  peak_rss_mb: number;
}

export interface OpenAiImagesResponse {
  created: number;
  data: { b64_json: string; revised_prompt: null }[];
  pareto: {
    model: string;
    family: string | null;
    point: { precision: string; steps: number; width: number; height: number; ep: string };
    lambda_choice: (ParetoLambdaChoice & { frechet_distance: number; predicted_s_per_image: number }) | null;
    /** Per image: the seed and the A1111 parameters text written into its PNG. */
    images: { seed: number; parameters: string }[];
    cost: ParetoImageCost;
  };
}

export const OPENAI_ERROR_TYPES = ['invalid_request_error', 'authentication_error', 'not_found_error', 'rate_limit_error', 'server_error'] as const;

export interface OpenAiErrorBody {
  error: { message: string; type: (typeof OPENAI_ERROR_TYPES)[number]; param: string | null; code: string | null };
}
