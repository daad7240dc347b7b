// The parts every text folder layout reads (our package, transformers.js, ONNX Runtime GenAI), shared by their readers.
import { z } from 'zod';
import type { ManifestOperatingPoint } from '../package/pareto-manifest';
import { tokenIdsJson } from './config-values';
import type { KvNameTemplates } from './kv-names';

export const GenerationConfigJson = z.looseObject({
  do_sample: z.boolean().optional(),
  temperature: z.number().positive().optional(),
  top_k: z.number().int().nonnegative().optional(),
  top_p: z.number().positive().max(1).optional(),
  max_new_tokens: z.number().int().positive().optional(),
  bos_token_id: tokenIdsJson,
  eos_token_id: tokenIdsJson,
});
export type GenerationDefaults = z.infer<typeof GenerationConfigJson>;

export interface DecoderConfig {
  architecture: string | null;
  modelType: string | null;
  numLayers: number;
  hiddenSize: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  contextLength: number;
  bosTokenId: number | null;
  eosTokenIds: number[];
  /** What a graph rewrite must reproduce: the MLP activation, norm epsilon and rotary embedding. */
  hiddenAct: string | null;
  rmsNormEps: number | null;
  ropeTheta: number;
  ropeScaling: string | null;
  partialRotaryFactor: number;
  slidingWindow: number | null;
  trainedAttention: { window: number; sinks: number } | null;
}

/** One runnable file of a model: a precision at a depth. */
export interface OperatingPointFile {
  precision: string;
  depth: number;
  path: string;
  quality: ManifestOperatingPoint['quality'] | null;
}

/** The layout a folder was read as: our own package, Hugging Face's transformers.js layout, or ONNX Runtime GenAI's. */
export type TextFolderLayout = 'pareto' | 'transformers.js' | 'onnxruntime-genai';

/** What each layout reads from its own files. */
export interface FolderLayoutParts {
  layout: TextFolderLayout;
  config: DecoderConfig;
  generationDefaults: GenerationDefaults;
  points: OperatingPointFile[];
  kvNames: KvNameTemplates;
  sizeBytes: number;
  /** How many parameters the model's config declares, where the layout says enough to count them. */
  parameters: number | null;
}
