import { z } from 'zod';
import {
  ExecutionProviderSchema,
  FinishReasonSchema,
  GenerationConfigSchema,
  ImageGenerationRequestSchema,
  ImageMetricsSchema,
  ImageOperatingPointSchema,
  ImageParametersSchema,
  RunMetricsSchema,
  TextGenerationRequestSchema,
} from './schemas';

export const HISTORY_KINDS = ['text', 'image'] as const;
export const HistoryKindSchema = z.enum(HISTORY_KINDS);
export type HistoryKind = z.infer<typeof HistoryKindSchema>;

const entryBase = {
  /** The job's id; letters, digits and dashes only, since it names the entry's files. */
  id: z.string().regex(/^[\w-]{1,100}$/, 'a history id is letters, digits and dashes'),
  /** ISO 8601, when the output finished. */
  createdAt: z.string(),
  /** The id of the model that ran (λ's pick when the slider chose). */
  model: z.string(),
  /** The prompt, or a chat's last user message, as search sees it. */
  prompt: z.string(),
};

/** A finished story: the request as the user made it (λ included), and what ran and what it cost. */
export const TextHistoryEntrySchema = z.object({
  kind: z.literal('text'),
  ...entryBase,
  request: TextGenerationRequestSchema,
  text: z.string(),
  finishReason: FinishReasonSchema,
  config: GenerationConfigSchema,
  metrics: RunMetricsSchema,
});

/** A finished image: its PNG lives beside the history file (`images/ID.png`), never inline. */
export const ImageHistoryEntrySchema = z.object({
  kind: z.literal('image'),
  ...entryBase,
  request: ImageGenerationRequestSchema,
  width: z.number().int(),
  height: z.number().int(),
  parameters: ImageParametersSchema,
  parametersText: z.string(),
  operatingPoint: ImageOperatingPointSchema.nullable(),
  ep: ExecutionProviderSchema,
  cfg: z.enum(['none', 'batched', 'two-pass']),
  metrics: ImageMetricsSchema,
});

export const HistoryEntrySchema = z.discriminatedUnion('kind', [TextHistoryEntrySchema, ImageHistoryEntrySchema]);
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
export type TextHistoryEntry = z.infer<typeof TextHistoryEntrySchema>;
export type ImageHistoryEntry = z.infer<typeof ImageHistoryEntrySchema>;

/** An entry as a client gets it: where its file lives on disk, and an image as base64 PNG. */
export const HistoryItemSchema = z.intersection(
  HistoryEntrySchema,
  z.object({
    path: z.string(),
    /** The image's PNG as stored (parameters chunks included), from getHistoryEntry; null in lists and for stories. */
    png: z.string().nullable(),
    /** At most 160 px on its longest side, in lists; null from getHistoryEntry and for stories. */
    thumbnail: z.string().nullable(),
  }),
);
export type HistoryItem = z.infer<typeof HistoryItemSchema>;

export const HISTORY_PAGE_LIMIT = 200;

export const HistoryQuerySchema = z.strictObject({
  /** Words that must all appear in the prompt or the story (case-insensitive). */
  search: z.string().max(1000).optional(),
  kind: HistoryKindSchema.optional(),
  model: z.string().min(1).optional(),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(HISTORY_PAGE_LIMIT).default(40),
});
export type HistoryQuery = z.input<typeof HistoryQuerySchema>;

export const HistoryPageSchema = z.object({
  /** Newest first. */
  entries: z.array(HistoryItemSchema),
  /** How many entries match the query, across every page. */
  total: z.number().int(),
  /** Every model with an entry, for the filter. */
  models: z.array(z.string()),
  /** The history file in the data folder. */
  file: z.string(),
  /** Set when the history file was found damaged this session: what was recovered, in words. */
  notice: z.string().nullable(),
});
export type HistoryPage = z.infer<typeof HistoryPageSchema>;

export const HistoryRefSchema = z.strictObject({ id: z.string().min(1, 'id is required') });

/** A PNG file's bytes, base64: 3 MB of PNG at most. */
export const PngBytesSchema = z.strictObject({ png: z.string().min(1, 'png is required').max(4_000_000, 'the PNG is over 3 MB') });

/** What a PNG says it was made with: every knob from our own chunk, what A1111's text names otherwise. */
export const ImageParametersReadingSchema = z.object({
  source: z.enum(['pareto', 'a1111']),
  parameters: ImageParametersSchema.partial().extend({ prompt: z.string() }),
});
export type ImageParametersReading = z.infer<typeof ImageParametersReadingSchema>;
