import { z } from 'zod';
import { ExecutionProviderSchema } from './providers';
import { ReportEventSchemas } from './report';
import { ApiServerSettingsSchema } from './api-server';

/** The longest generation one request may ask for, in new tokens. */
export const MAX_NEW_TOKENS = 32_768;

export { EXECUTION_PROVIDERS, ExecutionProviderSchema, type ExecutionProvider } from './providers';

export const ProviderInfoSchema = z.object({
  id: ExecutionProviderSchema,
  available: z.boolean(),
  /** Why a provider cannot be used here, in words a user can act on. */
  reason: z.string().nullable(),
});
export type ProviderInfo = z.infer<typeof ProviderInfoSchema>;

export const IMAGE_SCHEDULERS = ['ddim', 'euler-a', 'dpm++2m', 'lcm'] as const;
export const ImageSchedulerSchema = z.enum(IMAGE_SCHEDULERS);
export type ImageScheduler = z.infer<typeof ImageSchedulerSchema>;

/** What each scheduler is called: in the UI, and as the sampler of the A1111 `parameters` text other tools read. */
export const IMAGE_SCHEDULER_LABELS: Record<ImageScheduler, string> = {
  ddim: 'DDIM',
  'euler-a': 'Euler a',
  'dpm++2m': 'DPM++ 2M',
  lcm: 'LCM',
};

/** The steps an image gets when neither the request nor its model's package says: LCM is made for few. */
export function defaultImageSteps(scheduler: ImageScheduler): number {
  return scheduler === 'lcm' ? 4 : 25;
}

/** What an image model makes when a request leaves size, scheduler and steps out. */
export const ImageModelDefaultsSchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Sizes must be multiples of this (the VAE's pixels per latent cell). */
  sizeStep: z.number().int().positive(),
  scheduler: ImageSchedulerSchema,
  /** The steps pareto.json recommends for the default precision; null when it names none (then LCM 4, others 25). */
  steps: z.number().int().positive().nullable(),
});
export type ImageModelDefaults = z.infer<typeof ImageModelDefaultsSchema>;

/** One operating point a model offers, with the quality its pareto.json declares (null when undeclared). */
export const ModelPointSchema = z.object({
  precision: z.string(),
  /** Text: active layers. */
  depth: z.number().int().positive().nullable(),
  /** Images: diffusion steps (null where the package does not fix them). */
  steps: z.number().int().positive().nullable(),
  bitsPerByte: z.number().nullable(),
  frechetDistance: z.number().nullable(),
});
export type ModelPoint = z.infer<typeof ModelPointSchema>;

/** A point as the Models view's card shows it: with the file it runs, relative to the model folder. */
export const ModelCardPointSchema = ModelPointSchema.extend({ file: z.string() });

/** What a creator needs to know about a model before picking it (the Models view's card). */
export const ModelCardSchema = z.object({
  /** The layout the folder was read as. */
  layout: z.enum(['pareto', 'transformers.js', 'onnxruntime-genai', 'diffusers']),
  parameters: z.number().int().positive().nullable(),
  /** Where it comes from: pareto.json's provenance, or a Hugging Face README's front matter. */
  origin: z.string().nullable(),
  data: z.array(z.string()),
  licence: z.string().nullable(),
  points: z.array(ModelCardPointSchema),
  /** Whether pareto.json lists sha256 checksums to verify the files against. */
  hasChecksums: z.boolean(),
});
export type ModelCard = z.infer<typeof ModelCardSchema>;

export const ModelInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['text', 'image']),
  path: z.string(),
  source: z.enum(['bundled', 'imported', 'path']),
  architecture: z.string().nullable(),
  contextLength: z.number().int().positive(),
  variants: z.array(z.string()),
  /** The family of our own packages (pareto.json), across which λ chooses. */
  family: z.string().nullable(),
  role: z.enum(['teacher', 'student']).nullable(),
  /** Active-layer counts the package offers (depth exits); the full depth is the largest. */
  depths: z.array(z.number().int().positive()),
  /** Every operating point the package offers (precision × depth, or precision × steps). */
  points: z.array(ModelPointSchema).optional(),
  sizeBytes: z.number().int().nonnegative(),
  /** For image models: their default size, scheduler and steps. */
  image: ImageModelDefaultsSchema.nullable().optional(),
  /** Why this package was taken out of its family (a file of it would not load); absent while it is fine. */
  excludedReason: z.string().optional(),
  card: ModelCardSchema.optional(),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

const seedSchema = z.number().int().min(0).max(0xffff_ffff);

const LAMBDA_RANGE = 'λ must be between 0 (most efficient) and 1 (best quality)';
/** The quality↔efficiency slider's position. */
export const LambdaSchema = z.number({ error: LAMBDA_RANGE }).min(0, LAMBDA_RANGE).max(1, LAMBDA_RANGE);

/** The spread of a predicted cost: the lowest and highest the calibration's repeats make likely. */
const CostBoundsSchema = z.object({ low: z.number(), high: z.number() });

/** The most alternatives a request may ask log-probabilities for, per token. */
export const MAX_TOP_LOGPROBS = 20;

/** Which chat template rendered a conversation: the model's own (tokenizer_config.json) or the story default. */
export const CHAT_TEMPLATE_SOURCES = ['model', 'story-default'] as const;
export type ChatTemplateSource = (typeof CHAT_TEMPLATE_SOURCES)[number];

export const ChatMessageSchema = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(1_000_000),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** Per-token switching between a cheap and a full-precision variant that share one KV cache. */
export const DynamicPrecisionSchema = z.strictObject({
  cheap: z.string().min(1),
  full: z.string().min(1),
  /** Tokens whose cheap-variant distribution has more entropy than this (nats) are recomputed at full precision. */
  entropyThreshold: z.number().min(0).max(20).default(1.5),
});

export const TextGenerationRequestSchema = z
  .strictObject({
    /** A registered model id or a model folder path; without it the bundled family is used. */
    model: z.string().min(1, 'model must not be empty').optional(),
    /** The quality↔efficiency slider: 0 = most efficient, 1 = best quality; picks model, precision and depth. */
    lambda: LambdaSchema.optional(),
    prompt: z.string().max(1_000_000, 'prompt is longer than 1,000,000 characters').optional(),
    /** A conversation rendered through the model's chat template instead of a raw prompt. */
    messages: z.array(ChatMessageSchema).min(1).max(1000).optional(),
    maxNewTokens: z.number().int().min(1).max(MAX_NEW_TOKENS).default(128),
    /** The end-of-sequence token is suppressed until this many tokens exist. */
    minNewTokens: z.number().int().min(0).max(MAX_NEW_TOKENS).optional(),
    /** Greedy when false; when absent, sampling is on if any sampling knob is given. */
    doSample: z.boolean().optional(),
    temperature: z.number().gt(0).max(10).optional(),
    topK: z.number().int().min(0).max(1_000_000).optional(),
    topP: z.number().gt(0).max(1).optional(),
    minP: z.number().min(0).max(1).optional(),
    repetitionPenalty: z.number().gt(0).max(10).optional(),
    /** OpenAI's penalties: a generated token loses `presencePenalty` once and `frequencyPenalty` per occurrence. */
    presencePenalty: z.number().min(-2).max(2).optional(),
    frequencyPenalty: z.number().min(-2).max(2).optional(),
    /** Added to the logits of these token ids before a token is chosen (OpenAI's logit_bias; −100 bans, 100 forces). */
    logitBias: z.record(z.string().regex(/^\d+$/, 'logitBias keys are token ids'), z.number().min(-100).max(100)).optional(),
    /** Record each generated token's log-probability and this many likeliest alternatives (0: the token's own only). */
    logprobs: z.number().int().min(0).max(MAX_TOP_LOGPROBS).optional(),
    seed: seedSchema.optional(),
    /** Generation ends when the text contains one of these; the stop string is not part of the result. */
    stop: z.array(z.string().min(1).max(200)).max(16).optional(),
    /** A precision variant of the model (fp32, fp16, int8, q4, q4f16). */
    precision: z.string().min(1).optional(),
    dynamicPrecision: DynamicPrecisionSchema.optional(),
    /** Active layers, for packages exported with depth exits. */
    depth: z.number().int().min(1).max(1024).optional(),
    /** Attention window: keep `sinks` first positions plus the last `window` in the KV cache; 'auto' picks W from measured cost. */
    window: z.union([z.number().int().min(1).max(1_000_000), z.literal('auto')]).optional(),
    sinks: z.number().int().min(0).max(1024).default(4),
    ep: ExecutionProviderSchema.default('cpu'),
  })
  .refine((request) => (request.prompt === undefined) !== (request.messages === undefined), {
    message: 'give either prompt or messages, not both or neither',
    path: ['prompt'],
  });
export type TextGenerationRequest = z.input<typeof TextGenerationRequestSchema>;
export type ResolvedTextGenerationRequest = z.output<typeof TextGenerationRequestSchema>;

/** `energySource` of every estimate starts with this; any other source names the counter that measured. */
export const ESTIMATED_SOURCE_PREFIX = 'estimated:';
export const isEstimatedSource = (source: string | null | undefined): boolean => source?.startsWith(ESTIMATED_SOURCE_PREFIX) ?? false;

export const EnergyRangeSchema = z.object({ low: z.number(), high: z.number() });

/** What the energy-aware controller changed before a run, and why ("on battery: λ 0.70 → 0.40"). */
export const BudgetDecisionSchema = z.object({
  lambdaFrom: z.number(),
  lambdaTo: z.number(),
  /** One sentence per rule that acted: battery shift, latency target, energy target. */
  reasons: z.array(z.string()),
  /** Short, for a status line: "on battery: λ 0.70 → 0.40". */
  summary: z.string(),
});
export type BudgetDecision = z.infer<typeof BudgetDecisionSchema>;

export const GenerationConfigSchema = z.object({
  doSample: z.boolean(),
  temperature: z.number(),
  topK: z.number().int(),
  topP: z.number(),
  seed: seedSchema.nullable(),
  maxNewTokens: z.number().int(),
  ep: ExecutionProviderSchema,
  precision: z.string(),
  depth: z.number().int().nullable(),
  /** The KV window in force (sinks + last W positions), null when the whole context is kept. */
  window: z.object({ sinks: z.number().int(), window: z.number().int() }).nullable(),
  minP: z.number().nullable(),
  repetitionPenalty: z.number().nullable(),
  presencePenalty: z.number().nullable().default(null),
  frequencyPenalty: z.number().nullable().default(null),
  logitBias: z.record(z.string(), z.number()).nullable().default(null),
  stop: z.array(z.string()),
  /** The chat template that rendered the messages; null for a plain prompt. */
  chatTemplate: z.enum(CHAT_TEMPLATE_SOURCES).nullable().default(null),
  /** What λ selected, when the slider chose the operating point. */
  operatingPoint: z
    .object({
      lambda: z.number(),
      model: z.string(),
      precision: z.string(),
      depth: z.number().int(),
      utility: z.number(),
      quality: z.number(),
      efficiency: z.number(),
      bitsPerByte: z.number(),
      /** Predicted for this device before the run: the calibration's median and spread. */
      msPerToken: z.number(),
      msPerTokenRange: CostBoundsSchema.nullable().default(null),
      /** Set when the family had to be measured (again) before this run, saying why. */
      calibrationNote: z.string().nullable().default(null),
    })
    .nullable()
    .default(null),
  /** What the energy-aware controller changed, when it is on and acted. */
  budget: BudgetDecisionSchema.nullable().optional(),
});
export type GenerationConfig = z.infer<typeof GenerationConfigSchema>;

export const RunMetricsSchema = z.object({
  ttftMs: z.number().nullable(),
  msPerToken: z.number().nullable(),
  tokensPerSecond: z.number().nullable(),
  totalMs: z.number(),
  promptTokens: z.number().int(),
  generatedTokens: z.number().int(),
  peakRssMb: z.number(),
  energyJ: z.number().nullable(),
  energySource: z.string().nullable(),
  /** For estimates: the joules the run may really have used, low to high; null when measured. */
  energyJRange: EnergyRangeSchema.nullable().default(null),
  meanWatts: z.number().nullable().default(null),
  /** Joules per generated token. */
  joulesPerOutput: z.number().nullable().default(null),
  /** With dynamic precision: the share of tokens produced by each variant. */
  precisionShare: z.record(z.string(), z.number()).nullable().default(null),
});
export type RunMetrics = z.infer<typeof RunMetricsSchema>;

const TokenChoiceSchema = z.object({
  id: z.number().int(),
  /** The token's text as it reads in the output (a leading space included). */
  token: z.string(),
  /** Natural log of its probability under the model's own distribution (before sampling rules). */
  logprob: z.number(),
});

/** A generated token's log-probability, with the likeliest alternatives at its position, best first. */
export const TokenLogprobSchema = TokenChoiceSchema.extend({ top: z.array(TokenChoiceSchema) });
export type TokenLogprob = z.infer<typeof TokenLogprobSchema>;

export const FINISH_REASONS = ['eos', 'stop', 'length', 'context', 'cancelled'] as const;
export const FinishReasonSchema = z.enum(FINISH_REASONS);
export type FinishReason = z.infer<typeof FinishReasonSchema>;

export const TextResultSchema = z.object({
  text: z.string(),
  promptIds: z.array(z.number().int()),
  generatedIds: z.array(z.number().int()),
  finishReason: FinishReasonSchema,
  config: GenerationConfigSchema,
  metrics: RunMetricsSchema,
  /** One entry per generated token, when the request asked for logprobs. */
  logprobs: z.array(TokenLogprobSchema).nullable().default(null),
});
export type TextResult = z.infer<typeof TextResultSchema>;

export const JobRefSchema = z.strictObject({ jobId: z.string().min(1) });
export type JobRef = z.infer<typeof JobRefSchema>;

/** Sent for every job, text or image, when it enters the queue. */
const QueuedEventSchema = z.object({ type: z.literal('queued'), jobId: z.string(), model: z.string(), position: z.number().int() });
/** Cumulative energy of a running job, text or image, a few times a second: joules since it started and the latest watts. */
const EnergyEventSchema = z.object({
  type: z.literal('energy'),
  jobId: z.string(),
  joules: z.number(),
  watts: z.number().nullable(),
  source: z.string(),
  estimated: z.boolean(),
  elapsedMs: z.number(),
});
export type EnergyEvent = z.infer<typeof EnergyEventSchema>;
/** Ends a job, text or image, that did not finish (cancelled image runs say "Cancelled after k of N steps."). */
const JobErrorEventSchema = z.object({ type: z.literal('error'), jobId: z.string(), message: z.string() });

export const JobEventSchema = z.discriminatedUnion('type', [
  QueuedEventSchema,
  z.object({
    type: z.literal('started'),
    jobId: z.string(),
    model: z.string(),
    ep: ExecutionProviderSchema,
    /** Set when the requested provider could not be used and the run fell back to another. */
    fallbackReason: z.string().nullable(),
    promptTokens: z.number().int(),
    /** The settings in force, including what λ selected. */
    config: GenerationConfigSchema,
  }),
  /** Tokens are coalesced: one event may carry several. */
  z.object({
    type: z.literal('tokens'),
    jobId: z.string(),
    ids: z.array(z.number().int()),
    text: z.string(),
    /** The log-probabilities of `ids`, when the request asked for them. */
    logprobs: z.array(TokenLogprobSchema).optional(),
  }),
  z.object({ type: z.literal('metrics'), jobId: z.string(), metrics: RunMetricsSchema }),
  z.object({ type: z.literal('done'), jobId: z.string(), result: TextResultSchema }),
  EnergyEventSchema,
  JobErrorEventSchema,
]);
export type JobEvent = z.infer<typeof JobEventSchema>;

/** Sent by a shell about the engine host itself (the desktop app restarts a crashed host). */
export const HostEventSchema = z.object({
  type: z.literal('host'),
  status: z.enum(['ready', 'crashed', 'restarting']),
  message: z.string().nullable(),
});
export type HostEvent = z.infer<typeof HostEventSchema>;


/** The energy-aware controller's budget (SPEC §3). Off by default; each target is off while null. */
export const EnergyControllerSettingsSchema = z.object({
  enabled: z.boolean(),
  /** On battery, λ moves this far toward efficiency. */
  batteryLambdaShift: z.number().min(0).max(1),
  latencyMsPerToken: z.number().positive().nullable(),
  latencySPerImage: z.number().positive().nullable(),
  energyJPerToken: z.number().positive().nullable(),
  energyJPerImage: z.number().positive().nullable(),
});
export type EnergyControllerSettings = z.infer<typeof EnergyControllerSettingsSchema>;
/** A named slider position (Quality, Balanced, Efficient, Battery saver, or the user's own). */
export const LambdaPresetSchema = z.strictObject({ name: z.string().trim().min(1, 'a preset needs a name').max(40), lambda: LambdaSchema });
export type LambdaPreset = z.infer<typeof LambdaPresetSchema>;

export const SettingsSchema = z.object({
  defaultModel: z.string().nullable(),
  /** The slider's position when a generation does not name a model. */
  lambda: LambdaSchema,
  lambdaPresets: z.array(LambdaPresetSchema).max(12),
  ep: ExecutionProviderSchema,
  maxNewTokens: z.number().int().min(1).max(MAX_NEW_TOKENS),
  temperature: z.number().gt(0).max(10),
  topK: z.number().int().min(0),
  topP: z.number().gt(0).max(1),
  /** Intra-op threads per session; null lets the engine use every core. */
  threads: z.number().int().min(1).max(256).nullable(),
  graphOptimizationLevel: z.enum(['disabled', 'basic', 'extended', 'all']),
  /** Memory the warm-session cache may hold before closing the least recently used sessions. */
  sessionCacheMb: z.number().int().min(64).max(1_048_576),
  /** Outputs the history keeps; past this the oldest are dropped, their files with them. */
  historyLimit: z.number().int().min(1).max(100_000),
  importedModels: z.array(z.string()),
  energyController: EnergyControllerSettingsSchema,
  /** How images smaller than the stage are enlarged: nearest-neighbour (every pixel a square) or smooth interpolation. */
  imageScaling: z.enum(['crisp', 'smooth']),
  apiServer: ApiServerSettingsSchema,
  /** The desktop app checks GitHub releases for a signed update only while this is on. */
  checkForUpdates: z.boolean(),
});
export type Settings = z.infer<typeof SettingsSchema>;
export const SettingsPatchSchema = SettingsSchema.omit({ importedModels: true }).partial().strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export const ModelVerificationSchema = z.object({
  model: z.string(),
  /** False when any listed file is missing or differs from its checksum. */
  ok: z.boolean(),
  /** Null for a folder without pareto.json: it declares no checksums. */
  files: z.array(z.object({ file: z.string(), ok: z.boolean(), problem: z.string().nullable() })).nullable(),
});
export type ModelVerification = z.infer<typeof ModelVerificationSchema>;

export const ModelRefSchema = z.strictObject({ model: z.string().min(1, 'model is required') });

export const ImportModelSchema = z.strictObject({ path: z.string().min(1, 'path is required') });

export const ERROR_CODES = ['bad_request', 'not_found', 'invalid_model', 'unauthorized', 'busy', 'internal'] as const;
export const ApiErrorSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string() });
export type ApiErrorBody = z.infer<typeof ApiErrorSchema>;

// ---------------------------------------------------------------------------------------------
// Images: diffusion pipelines (diffusers ONNX layout).


/** Per-step switching of the UNet: the cheap variant for the first, high-noise steps, the full one for the rest. */
export const ImageDynamicPrecisionSchema = z
  .strictObject({
    cheap: z.string().min(1),
    full: z.string().min(1),
    /** How many of the first steps run on the cheap variant; or give cheapFraction. */
    cheapSteps: z.number().int().min(0).max(1000).optional(),
    cheapFraction: z.number().min(0).max(1).optional(),
  })
  .refine((value) => value.cheapSteps === undefined || value.cheapFraction === undefined, { message: 'give cheapSteps or cheapFraction, not both' });

/** What λ selected for an image: the paper's utility over the image family's Pareto front. */
export const ImageOperatingPointSchema = z.object({
  lambda: z.number(),
  model: z.string(),
  precision: z.string(),
  steps: z.number().int(),
  utility: z.number(),
  quality: z.number(),
  efficiency: z.number(),
  frechetDistance: z.number(),
  faithfulness: z.number().nullable(),
  /** Predicted for this device before the run: the calibration's median and spread. */
  sPerImage: z.number(),
  sPerImageRange: CostBoundsSchema.nullable().default(null),
  /** Set when the family had to be measured (again) before this run, saying why. */
  calibrationNote: z.string().nullable().default(null),
});
export type ImageOperatingPoint = z.infer<typeof ImageOperatingPointSchema>;

/** The most images one image job makes (a 2×2 grid). */
export const MAX_IMAGE_BATCH = 4;

export const ImageGenerationRequestSchema = z.strictObject({
  /** A registered model id or a model folder path; without it the bundled image family is used. */
  model: z.string().min(1, 'model must not be empty').optional(),
  /** The quality↔efficiency slider for images: picks model, UNet precision and step count. */
  lambda: LambdaSchema.optional(),
  prompt: z.string().max(10_000, 'prompt is longer than 10,000 characters'),
  negativePrompt: z.string().max(10_000).optional(),
  /** Diffusion steps; defaults to the operating point's (pareto.json), else 4 for LCM and 25 otherwise. */
  steps: z.number().int().min(1).max(1000).optional(),
  /** Classifier-free guidance scale; at 1 or below the unconditional pass is skipped. */
  /** Absent: the model's own default (model_index.json default_guidance_scale), else 7.5. */
  guidance: z.number().min(0).max(50).optional(),
  seed: seedSchema.optional(),
  batch: z
    .number()
    .int()
    .min(1, 'batch must be 1 to 4 images')
    .max(MAX_IMAGE_BATCH, 'batch must be 1 to 4 images')
    .optional()
    .describe('Images made in one job (1-4), with seeds seed, seed+1, ...; default 1, or as many as seeds lists.'),
  seeds: z
    .array(seedSchema)
    .min(1)
    .max(MAX_IMAGE_BATCH, 'seeds lists at most 4 seeds')
    .optional()
    .describe('One seed per image of the batch, instead of seed, seed+1, ...'),
  /** The model's own scheduler_config.json class when absent (DDIM where it names one the engine lacks). */
  scheduler: ImageSchedulerSchema.optional(),
  /** A UNet precision variant (fp32, fp16, int8, q4). */
  precision: z.string().min(1).optional(),
  dynamicPrecision: ImageDynamicPrecisionSchema.optional(),
  width: z.number().int().min(8).max(4096).optional(),
  height: z.number().int().min(8).max(4096).optional(),
  /** How classifier-free guidance runs the UNet: one batch-2 pass (when the graph allows) or two passes. */
  cfgMode: z.enum(['auto', 'batched', 'two-pass']).default('auto'),
  /** A preview of the predicted image every N steps; 0 = none; default about five per run. */
  previewEvery: z.number().int().min(0).max(1000).optional(),
  ep: ExecutionProviderSchema.default('cpu'),
})
  .refine((request) => request.seeds === undefined || request.batch === undefined || request.batch === request.seeds.length, {
    message: 'batch and seeds disagree: give batch N, or N seeds',
    path: ['batch'],
  })
  .refine((request) => request.seeds === undefined || request.seed === undefined, { message: 'give seed or seeds, not both', path: ['seeds'] });
export type ImageGenerationRequest = z.input<typeof ImageGenerationRequestSchema>;
export type ResolvedImageGenerationRequest = z.output<typeof ImageGenerationRequestSchema>;

/** Everything that fixes an image: stored in the PNG, and a request again when read back. */
export const ImageParametersSchema = z.strictObject({
  model: z.string(),
  prompt: z.string(),
  negativePrompt: z.string(),
  steps: z.number().int(),
  guidance: z.number(),
  seed: seedSchema,
  scheduler: ImageSchedulerSchema,
  precision: z.string(),
  dynamicPrecision: z.strictObject({ cheap: z.string(), full: z.string(), cheapSteps: z.number().int() }).nullable(),
  width: z.number().int(),
  height: z.number().int(),
});
export type ImageParameters = z.infer<typeof ImageParametersSchema>;

export const ImageMetricsSchema = z.object({
  msPerStep: z.number().nullable(),
  sPerImage: z.number(),
  textEncoderMs: z.number(),
  decodeMs: z.number(),
  steps: z.number().int(),
  peakRssMb: z.number(),
  energyJ: z.number().nullable(),
  energySource: z.string().nullable(),
  /** For estimates: the joules the run may really have used, low to high; null when measured. */
  energyJRange: EnergyRangeSchema.nullable().default(null),
  meanWatts: z.number().nullable().default(null),
  /** Joules for the image. */
  joulesPerOutput: z.number().nullable().default(null),
  /** Steps run at each UNet precision (dynamic precision splits them). */
  precisionSteps: z.record(z.string(), z.number().int()),
  /** Images made together (absent: 1): a batch's run time and energy are shared, so sPerImage and J per image are the batch's divided by it. */
  batchSize: z.number().int().min(1).max(MAX_IMAGE_BATCH).optional(),
});
export type ImageMetrics = z.infer<typeof ImageMetricsSchema>;

export const ImageResultSchema = z.object({
  /** The PNG file (with its parameters chunks), base64. */
  png: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  /** The A1111 `parameters` text written into the PNG. */
  parametersText: z.string(),
  parameters: ImageParametersSchema,
  ep: ExecutionProviderSchema,
  /** How guidance ran the UNet. */
  cfg: z.enum(['none', 'batched', 'two-pass']),
  metrics: ImageMetricsSchema,
});
export type ImageResult = z.infer<typeof ImageResultSchema>;

const ImageStartedEventSchema = z.object({
  type: z.literal('image-started'),
  jobId: z.string(),
  model: z.string(),
  ep: ExecutionProviderSchema,
  fallbackReason: z.string().nullable(),
  parameters: ImageParametersSchema,
  /** The seed of each image the job makes, in order (parameters.seed is the first); absent: one image. */
  seeds: z.array(seedSchema).min(1).max(MAX_IMAGE_BATCH).optional(),
  operatingPoint: ImageOperatingPointSchema.nullable().default(null),
  budget: BudgetDecisionSchema.nullable().optional(),
});
const ImageProgressEventSchema = z.object({
  type: z.literal('image-progress'),
  jobId: z.string(),
  /** Which image of the batch reached this step (0, the first, when absent). */
  image: z.number().int().min(0).max(MAX_IMAGE_BATCH - 1).optional(),
  step: z.number().int(),
  steps: z.number().int(),
  /** The UNet precision this step ran at. */
  precision: z.string(),
  /** A small PNG data URL of the predicted clean image, every few steps. */
  preview: z.string().nullable(),
});
/** Every image of the job, in seed order. */
const ImageDoneEventSchema = z.object({ type: z.literal('image-done'), jobId: z.string(), images: z.array(ImageResultSchema).min(1).max(MAX_IMAGE_BATCH) });

/** An image job's events: `queued`, `energy` and `error` are shared with text jobs, the rest are its own. */
export const ImageJobEventSchema = z.discriminatedUnion('type', [QueuedEventSchema, ImageStartedEventSchema, ImageProgressEventSchema, ImageDoneEventSchema, EnergyEventSchema, JobErrorEventSchema]);
export type ImageJobEvent = z.infer<typeof ImageJobEventSchema>;

/** Progress of a family's calibration: the interleaved batch that times its points together. */
const CalibrationEventSchema = z.object({
  type: z.literal('calibration'),
  /** One id per batch, so job-following code never takes it for one of its jobs. */
  jobId: z.string(),
  kind: z.enum(['text', 'image']),
  family: z.string(),
  done: z.number().int(),
  total: z.number().int(),
  /** The point being measured, null once the batch is over. */
  point: z.string().nullable(),
});
// ---------------------------------------------------------------------------------------------
// Compare: the same prompt and seed at 2–4 modes, one pane per mode, each a normal job run in turn.

export const MIN_COMPARE_MODES = 2;
export const MAX_COMPARE_MODES = 4;

/** One mode of a comparison: a λ value, or an operating point set by hand (depth and window for text, steps for images). */
export const CompareModeSchema = z
  .strictObject({
    lambda: z.number().min(0).max(1).optional(),
    model: z.string().min(1, 'model must not be empty').optional(),
    precision: z.string().min(1).optional(),
    depth: z.number().int().min(1).max(1024).optional(),
    window: z.number().int().min(1).max(1_000_000).optional(),
    steps: z.number().int().min(1).max(1000).optional(),
  })
  .refine((mode) => (mode.lambda === undefined) !== (mode.model === undefined), { message: 'a mode is either a λ value or a model with its knobs, not both or neither' })
  .refine((mode) => mode.model !== undefined || (mode.precision ?? mode.depth ?? mode.window ?? mode.steps) === undefined, { message: 'precision, depth, window and steps need a model; with λ the policy chooses them' });
export type CompareMode = z.infer<typeof CompareModeSchema>;

/** A mode as panes, grids and exports name it: "λ 0.50", or "pareto-stories-student-s · int8 · depth 4". */
export function compareModeLabel(mode: CompareMode): string {
  if (mode.lambda !== undefined) return `λ ${mode.lambda.toFixed(2)}`;
  const knobs = [mode.precision, mode.depth && `depth ${mode.depth}`, mode.window && `window ${mode.window}`, mode.steps && `${mode.steps} steps`];
  return [mode.model, ...knobs].filter(Boolean).join(' · ');
}

const compareModes = z
  .array(CompareModeSchema)
  .min(MIN_COMPARE_MODES, `a comparison needs ${MIN_COMPARE_MODES} to ${MAX_COMPARE_MODES} modes`)
  .max(MAX_COMPARE_MODES, `a comparison takes at most ${MAX_COMPARE_MODES} modes`);

export const CompareRequestSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('text'),
    prompt: z.string().max(1_000_000, 'prompt is longer than 1,000,000 characters'),
    /** Every pane samples with this seed; the host draws one when absent. */
    seed: seedSchema.optional(),
    modes: compareModes,
    maxNewTokens: z.number().int().min(1).max(MAX_NEW_TOKENS).default(128),
    temperature: z.number().gt(0).max(10).optional(),
    topK: z.number().int().min(0).max(1_000_000).optional(),
    topP: z.number().gt(0).max(1).optional(),
    ep: ExecutionProviderSchema.default('cpu'),
  }),
  z.strictObject({
    kind: z.literal('image'),
    prompt: z.string().max(10_000, 'prompt is longer than 10,000 characters'),
    seed: seedSchema.optional(),
    modes: compareModes,
    negativePrompt: z.string().max(10_000).optional(),
    guidance: z.number().min(0).max(50).optional(),
    ep: ExecutionProviderSchema.default('cpu'),
  }),
]);
export type CompareRequest = z.input<typeof CompareRequestSchema>;
export type ResolvedCompareRequest = z.output<typeof CompareRequestSchema>;

/** The figures a comparison sets side by side; `COMPARE_LOWER_IS_BETTER` says which way each one improves. */
export const COMPARE_MEASURES = ['ttftMs', 'msPerToken', 'tokensPerSecond', 'msPerStep', 'sPerImage', 'peakRssMb', 'energyJ', 'joulesPerOutput', 'bitsPerByte', 'frechetDistance'] as const;
export type CompareMeasure = (typeof COMPARE_MEASURES)[number];
export const COMPARE_LOWER_IS_BETTER: Record<CompareMeasure, boolean> = {
  ttftMs: true,
  msPerToken: true,
  tokensPerSecond: false,
  msPerStep: true,
  sPerImage: true,
  peakRssMb: true,
  energyJ: true,
  joulesPerOutput: true,
  bitsPerByte: true,
  frechetDistance: true,
};

export const CompareFiguresSchema = z.object({
  ttftMs: z.number().nullable(),
  msPerToken: z.number().nullable(),
  tokensPerSecond: z.number().nullable(),
  msPerStep: z.number().nullable(),
  sPerImage: z.number().nullable(),
  peakRssMb: z.number().nullable(),
  energyJ: z.number().nullable(),
  /** J per generated token (text) or per image. */
  joulesPerOutput: z.number().nullable(),
  energySource: z.string().nullable(),
  /** True when the energy was estimated rather than read from a counter. */
  energyEstimated: z.boolean(),
  /** The quality the package declares for the point that ran (pareto.json); null when it declares none. */
  bitsPerByte: z.number().nullable(),
  frechetDistance: z.number().nullable(),
  /** Tokens generated, or 1 for an image. */
  outputs: z.number().int(),
});
export type CompareFigures = z.infer<typeof CompareFiguresSchema>;

/** What a pane ran: the operating point and where. */
export const ComparePointSchema = z.object({
  model: z.string(),
  precision: z.string(),
  depth: z.number().int().nullable(),
  steps: z.number().int().nullable(),
  window: z.object({ sinks: z.number().int(), window: z.number().int() }).nullable(),
  provider: ExecutionProviderSchema,
  /** The λ that chose the point; null for a point set by hand. */
  lambda: z.number().nullable(),
});
export type ComparePoint = z.infer<typeof ComparePointSchema>;

export const ComparePaneSchema = z.object({
  index: z.number().int(),
  mode: CompareModeSchema,
  status: z.enum(['done', 'cancelled', 'error']),
  error: z.string().nullable(),
  jobId: z.string().nullable(),
  point: ComparePointSchema.nullable(),
  figures: CompareFiguresSchema.nullable(),
  /** The measures on which this pane is the best of the comparison (ties share it). */
  best: z.array(z.enum(COMPARE_MEASURES)),
  text: TextResultSchema.nullable(),
  image: ImageResultSchema.nullable(),
});
export type ComparePane = z.infer<typeof ComparePaneSchema>;

export const CompareResultSchema = z.object({
  compareId: z.string(),
  kind: z.enum(['text', 'image']),
  prompt: z.string(),
  seed: seedSchema,
  panes: z.array(ComparePaneSchema),
  /** Image comparisons: the images side by side as one PNG (base64) with A1111 `parameters`; null for text or when no image was made. */
  gridPng: z.string().nullable(),
});
export type CompareResult = z.infer<typeof CompareResultSchema>;

// A comparison's events carry its id as `jobId`: `cancelJob` stops it, and a shell ends it with `error` like any job.
const CompareStartedEventSchema = z.object({ type: z.literal('compare-started'), jobId: z.string(), kind: z.enum(['text', 'image']), prompt: z.string(), seed: seedSchema, modes: z.array(CompareModeSchema) });
/** A pane's job was queued (its own events follow under `paneJobId`), or the pane could not start (`error`). */
const ComparePaneEventSchema = z.object({ type: z.literal('compare-pane'), jobId: z.string(), index: z.number().int(), paneJobId: z.string().nullable(), error: z.string().nullable() });
const CompareDoneEventSchema = z.object({ type: z.literal('compare-done'), jobId: z.string(), result: CompareResultSchema });
export const CompareEventSchema = z.discriminatedUnion('type', [CompareStartedEventSchema, ComparePaneEventSchema, CompareDoneEventSchema]);
export type CompareEvent = z.infer<typeof CompareEventSchema>;

/**
 * Everything a host sends on its one event stream: text and image job events, comparison events
 * and the shell's host events. Every transport (SSE, Electron IPC, the CLI in process) carries exactly this.
 */
export const StudioEventSchema = z.discriminatedUnion('type', [...JobEventSchema.options, ImageStartedEventSchema, ImageProgressEventSchema, ImageDoneEventSchema, ...CompareEventSchema.options, HostEventSchema, CalibrationEventSchema, ...ReportEventSchemas]);
export type StudioEvent = z.infer<typeof StudioEventSchema>;

const COMPARE_EVENT_TYPES: ReadonlySet<string> = new Set(CompareEventSchema.options.map((option) => option.shape.type.value));

/** True for the events about a comparison as a whole (its panes' jobs send ordinary job events). */
export function isCompareEvent(event: StudioEvent): event is CompareEvent {
  return COMPARE_EVENT_TYPES.has(event.type);
}

const IMAGE_JOB_EVENT_TYPES: ReadonlySet<string> = new Set(ImageJobEventSchema.options.map((option) => option.shape.type.value));

/** True for the events an image job sends: its own, and the `queued`/`error` it shares with text jobs. */
export function isImageJobEvent(event: StudioEvent): event is ImageJobEvent {
  return IMAGE_JOB_EVENT_TYPES.has(event.type);
}

// ---------------------------------------------------------------------------------------------
// Energy: the meter's readers and the estimate's assumptions (`pareto energy`, the Settings view).

export const EnergyAssumptionsSchema = z.object({
  formula: z.string(),
  cpuModel: z.string(),
  /** The TDP table's row for this CPU, or the stated default. */
  cpuClass: z.string(),
  tdpWatts: z.number(),
  cores: z.number().int(),
  wattsPerCore: z.number(),
  lowFactor: z.number(),
  highFactor: z.number(),
  /** What the estimate leaves out. */
  excludes: z.string(),
});
export type EnergyAssumptions = z.infer<typeof EnergyAssumptionsSchema>;

export const EnergyReaderInfoSchema = z.object({
  id: z.string(),
  label: z.string(),
  estimated: z.boolean(),
  available: z.boolean(),
  /** The source label its figures carry (`rapl:package-0`), when available. */
  source: z.string().nullable(),
  /** Why it cannot be used here (missing, permission, no battery, on AC), when not. */
  reason: z.string().nullable(),
  inUse: z.boolean(),
});
export type EnergyReaderInfo = z.infer<typeof EnergyReaderInfoSchema>;

export const EnergyStatusSchema = z.object({
  readers: z.array(EnergyReaderInfoSchema),
  /** The reader the meter uses now: the best available. */
  inUse: z.string(),
  source: z.string(),
  estimated: z.boolean(),
  onBattery: z.boolean().nullable(),
  assumptions: EnergyAssumptionsSchema,
  /** The meter's own cost so far: the time its samples held the host's thread, as a share of one core over the time it sampled. */
  overhead: z.object({ samples: z.number().int(), busyMs: z.number(), spanMs: z.number(), percentOfCore: z.number().nullable() }),
});
export type EnergyStatus = z.infer<typeof EnergyStatusSchema>;
