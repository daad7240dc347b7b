import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ApiError } from '../../contract';
import { modelFileInside, parseModelJson, readModelJson } from '../package/model-json';
import { packageFile, readParetoManifest, type ManifestOperatingPoint, type ParetoManifest } from '../package/pareto-manifest';

const dim = (max: number) => z.number().int().positive().max(max);
const tokenIds = z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())]).nullish();

/** The fields of a transformers `config.json` the engine uses, with bounds that reject absurd sizes. */
const DecoderConfigJson = z.looseObject({
  model_type: z.string().optional(),
  architectures: z.array(z.string()).optional(),
  num_hidden_layers: dim(1024),
  num_attention_heads: dim(1024),
  num_key_value_heads: dim(1024).optional(),
  hidden_size: dim(131_072),
  head_dim: dim(4096).optional(),
  vocab_size: dim(10_000_000),
  max_position_embeddings: dim(10_000_000).optional(),
  hidden_act: z.string().optional(),
  rms_norm_eps: z.number().positive().optional(),
  rope_theta: z.number().positive().optional(),
  rope_scaling: z.looseObject({ rope_type: z.string().optional(), type: z.string().optional() }).nullish(),
  partial_rotary_factor: z.number().positive().max(1).optional(),
  sliding_window: z.number().int().positive().nullish(),
  /** The studio's recipe trains local + global attention: the last `window` positions plus the first `sinks`. */
  pareto_attention: z.looseObject({ window: z.number().int().positive(), sinks: z.number().int().nonnegative() }).optional(),
  bos_token_id: tokenIds,
  eos_token_id: tokenIds,
});

const GenerationConfigJson = z.looseObject({
  do_sample: z.boolean().optional(),
  temperature: z.number().positive().optional(),
  top_k: z.number().int().nonnegative().optional(),
  top_p: z.number().positive().max(1).optional(),
  max_new_tokens: z.number().int().positive().optional(),
  bos_token_id: tokenIds,
  eos_token_id: tokenIds,
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

/** Precision variants of the transformers.js layout, by the file-name suffixes that carry them. */
const VARIANT_SUFFIXES: Record<string, readonly string[]> = {
  fp32: [''],
  fp16: ['_fp16'],
  int8: ['_int8', '_quantized'],
  q4: ['_q4'],
  q4f16: ['_q4f16'],
};
const FILE_PREFIXES = ['model', 'decoder_model_merged'];

/** One runnable file of a model: a precision at a depth. */
export interface OperatingPointFile {
  precision: string;
  depth: number;
  path: string;
  quality: ManifestOperatingPoint['quality'] | null;
}

export interface TextModelFolder {
  dir: string;
  name: string;
  config: DecoderConfig;
  generationDefaults: GenerationDefaults;
  tokenizerJson: object;
  tokenizerConfig: object;
  manifest: ParetoManifest | null;
  points: OperatingPointFile[];
  sizeBytes: number;
}

/** The distinct precisions a folder offers, in the order they were found. */
export function folderPrecisions(folder: TextModelFolder): string[] {
  return [...new Set(folder.points.map((point) => point.precision))];
}

/** The file for a precision and depth; defaults are fp32 (else the first variant) at full depth. */
export function findOperatingPoint(folder: TextModelFolder, precision?: string, depth?: number): OperatingPointFile {
  const precisions = folderPrecisions(folder);
  const wantedPrecision = precision ?? (precisions.includes('fp32') ? 'fp32' : precisions[0]!);
  const wantedDepth = depth ?? folder.config.numLayers;
  const point = folder.points.find((p) => p.precision === wantedPrecision && p.depth === wantedDepth);
  if (point) return point;
  if (!precisions.includes(wantedPrecision)) {
    throw new ApiError('bad_request', `${folder.name} has no ${wantedPrecision} variant; it offers ${precisions.join(', ')}.`);
  }
  const depths = folder.points.filter((p) => p.precision === wantedPrecision).map((p) => p.depth);
  throw new ApiError('bad_request', `${folder.name} has no ${wantedPrecision} exit at depth ${wantedDepth}; its depths are ${depths.join(', ')}.`);
}

const DEFAULT_CONTEXT = 2048;

function asIdList(value: number | number[] | null | undefined): number[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Operating points named by file (third-party folders): every precision variant at full depth. */
function pointsFromFileNames(onnxDir: string, numLayers: number): OperatingPointFile[] {
  const points: OperatingPointFile[] = [];
  for (const [precision, suffixes] of Object.entries(VARIANT_SUFFIXES)) {
    const names = FILE_PREFIXES.flatMap((prefix) => suffixes.map((suffix) => `${prefix}${suffix}.onnx`));
    // A dangling link counts as found, so the checks that follow name it rather than skip it.
    const found = names.map((name) => path.join(onnxDir, name)).find((file) => fs.lstatSync(file, { throwIfNoEntry: false }));
    if (found) points.push({ precision, depth: numLayers, path: found, quality: null });
  }
  return points;
}

function pointsFromManifest(manifest: ParetoManifest, dir: string, numLayers: number): OperatingPointFile[] {
  return manifest.operatingPoints
    .filter((point) => point.depth !== undefined || point.steps === undefined)
    .map((point) => {
      const file = packageFile(dir, point.file);
      if (!fs.existsSync(file)) throw new ApiError('invalid_model', `${point.file} is missing from ${dir} (pareto.json lists it).`);
      return { precision: point.precision, depth: point.depth ?? numLayers, path: file, quality: point.quality };
    });
}

function folderSize(onnxDir: string): number {
  return fs.readdirSync(onnxDir).reduce((sum, name) => sum + (fs.statSync(path.join(onnxDir, name), { throwIfNoEntry: false })?.size ?? 0), 0);
}

/** Reads and checks a text model folder in the transformers.js decoder layout (SPEC §2). */
export function loadTextModelFolder(folder: string): TextModelFolder {
  const dir = path.resolve(folder);
  if (!fs.existsSync(dir)) throw new ApiError('not_found', `Model folder not found: ${folder}`);
  if (!fs.statSync(dir).isDirectory()) throw new ApiError('invalid_model', `${folder} is a file, not a model folder.`);
  const onnxDir = path.join(dir, 'onnx');
  if (!fs.existsSync(onnxDir)) {
    throw new ApiError('invalid_model', `${folder} has no onnx/ folder: a text model needs onnx/model.onnx (transformers.js layout).`);
  }
  const configJson = parseModelJson(DecoderConfigJson, readModelJson(dir, 'config.json', true), 'config.json', dir);
  const generationDefaults = parseModelJson(GenerationConfigJson, readModelJson(dir, 'generation_config.json', false) ?? {}, 'generation_config.json', dir);
  const tokenizerJson = readModelJson(dir, 'tokenizer.json', true) as object;
  const tokenizerConfig = (readModelJson(dir, 'tokenizer_config.json', false) ?? {}) as object;

  const manifest = readParetoManifest(dir);
  const points = manifest ? pointsFromManifest(manifest, dir, configJson.num_hidden_layers) : pointsFromFileNames(onnxDir, configJson.num_hidden_layers);
  if (points.length === 0) throw new ApiError('invalid_model', `${folder}/onnx has no model.onnx (nor any precision variant of it).`);
  for (const point of points) modelFileInside(dir, path.relative(dir, point.path));

  const numKvHeads = configJson.num_key_value_heads ?? configJson.num_attention_heads;
  const eosTokenIds = asIdList(generationDefaults.eos_token_id ?? configJson.eos_token_id);
  return {
    dir,
    name: path.basename(dir),
    config: {
      architecture: configJson.architectures?.[0] ?? configJson.model_type ?? null,
      modelType: configJson.model_type ?? null,
      numLayers: configJson.num_hidden_layers,
      hiddenSize: configJson.hidden_size,
      numHeads: configJson.num_attention_heads,
      numKvHeads,
      headDim: configJson.head_dim ?? configJson.hidden_size / configJson.num_attention_heads,
      vocabSize: configJson.vocab_size,
      contextLength: configJson.max_position_embeddings ?? DEFAULT_CONTEXT,
      bosTokenId: asIdList(configJson.bos_token_id)[0] ?? null,
      eosTokenIds,
      hiddenAct: configJson.hidden_act ?? null,
      rmsNormEps: configJson.rms_norm_eps ?? null,
      ropeTheta: configJson.rope_theta ?? 10_000,
      ropeScaling: configJson.rope_scaling ? (configJson.rope_scaling.rope_type ?? configJson.rope_scaling.type ?? 'unknown') : null,
      partialRotaryFactor: configJson.partial_rotary_factor ?? 1,
      slidingWindow: configJson.sliding_window ?? null,
      trainedAttention: configJson.pareto_attention ? { window: configJson.pareto_attention.window, sinks: configJson.pareto_attention.sinks } : null,
    },
    generationDefaults,
    tokenizerJson,
    tokenizerConfig,
    manifest,
    points,
    sizeBytes: folderSize(onnxDir),
  };
}
