import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ApiError } from '../../contract';
import { modelFileInside, parseModelJson, readModelJson } from '../package/model-json';
import { packageFile, readParetoManifest, type ParetoManifest } from '../package/pareto-manifest';
import { filePrecision } from '../onnx/weight-precision';
import { asIdList, DEFAULT_CONTEXT, dim, tokenIdsJson } from './config-values';
import { isGenaiFolder, readGenaiLayout } from './genai-folder';
import { OPTIMUM_KV_NAMES } from './kv-names';
import { GenerationConfigJson, type DecoderConfig, type FolderLayoutParts, type OperatingPointFile } from './folder-layout';

export type { DecoderConfig, FolderLayoutParts, GenerationDefaults, OperatingPointFile, TextFolderLayout } from './folder-layout';


/** The fields of a transformers `config.json` the engine uses, with bounds that reject absurd sizes. */
const DecoderConfigJson = z.looseObject({
  model_type: z.string().optional(),
  architectures: z.array(z.string()).optional(),
  num_hidden_layers: dim(1024),
  num_attention_heads: dim(1024),
  num_key_value_heads: dim(1024).optional(),
  hidden_size: dim(131_072),
  intermediate_size: dim(1_048_576).optional(),
  head_dim: dim(4096).optional(),
  vocab_size: dim(10_000_000),
  max_position_embeddings: dim(10_000_000).optional(),
  hidden_act: z.string().optional(),
  hidden_activation: z.string().optional(),
  rms_norm_eps: z.number().positive().optional(),
  rope_theta: z.number().positive().optional(),
  rope_scaling: z.looseObject({ rope_type: z.string().optional(), type: z.string().optional() }).nullish(),
  partial_rotary_factor: z.number().positive().max(1).optional(),
  sliding_window: z.number().int().positive().nullish(),
  tie_word_embeddings: z.boolean().optional(),
  attention_bias: z.boolean().optional(),
  mlp_bias: z.boolean().optional(),
  /** The studio's recipe trains local + global attention: the last `window` positions plus the first `sinks`. */
  pareto_attention: z.looseObject({ window: z.number().int().positive(), sinks: z.number().int().nonnegative() }).optional(),
  bos_token_id: tokenIdsJson,
  eos_token_id: tokenIdsJson,
});

/** Precision variants of the transformers.js layout, by the file-name suffixes that carry them. */
const VARIANT_SUFFIXES: Record<string, readonly string[]> = {
  fp32: [''],
  fp16: ['_fp16'],
  int8: ['_int8', '_quantized'],
  q4: ['_q4'],
  q4f16: ['_q4f16'],
};
const FILE_PREFIXES = ['model', 'decoder_model_merged'];

export interface TextModelFolder extends FolderLayoutParts {
  dir: string;
  name: string;
  tokenizerJson: object;
  tokenizerConfig: object;
  manifest: ParetoManifest | null;
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


/** Operating points named by file (third-party folders): every precision variant at full depth. */
function pointsFromFileNames(onnxDir: string, numLayers: number): OperatingPointFile[] {
  const points: OperatingPointFile[] = [];
  for (const [named, suffixes] of Object.entries(VARIANT_SUFFIXES)) {
    const names = FILE_PREFIXES.flatMap((prefix) => suffixes.map((suffix) => `${prefix}${suffix}.onnx`));
    // A dangling link counts as found, so the checks that follow name it rather than skip it.
    const found = names.map((name) => path.join(onnxDir, name)).find((file) => fs.lstatSync(file, { throwIfNoEntry: false }));
    if (!found) continue;
    const precision = filePrecision(found, named);
    if (!points.some((point) => point.precision === precision)) points.push({ precision, depth: numLayers, path: found, quality: null });
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

/** Gemma's first configs say "gelu" where transformers computes (and exports) its tanh approximation. */
function gemmaGelu(json: z.infer<typeof DecoderConfigJson>): string | null {
  return json.model_type === 'gemma' && (json.hidden_act ?? 'gelu') === 'gelu' ? 'gelu_pytorch_tanh' : null;
}

function decoderConfig(json: z.infer<typeof DecoderConfigJson>, eosTokenIds: number[]): DecoderConfig {
  return {
    architecture: json.architectures?.[0] ?? json.model_type ?? null,
    modelType: json.model_type ?? null,
    numLayers: json.num_hidden_layers,
    hiddenSize: json.hidden_size,
    numHeads: json.num_attention_heads,
    numKvHeads: json.num_key_value_heads ?? json.num_attention_heads,
    headDim: json.head_dim ?? json.hidden_size / json.num_attention_heads,
    vocabSize: json.vocab_size,
    contextLength: json.max_position_embeddings ?? DEFAULT_CONTEXT,
    bosTokenId: asIdList(json.bos_token_id)[0] ?? null,
    eosTokenIds,
    hiddenAct: json.hidden_activation ?? gemmaGelu(json) ?? json.hidden_act ?? null,
    rmsNormEps: json.rms_norm_eps ?? null,
    ropeTheta: json.rope_theta ?? 10_000,
    ropeScaling: json.rope_scaling ? (json.rope_scaling.rope_type ?? json.rope_scaling.type ?? 'unknown') : null,
    partialRotaryFactor: json.partial_rotary_factor ?? 1,
    slidingWindow: json.sliding_window ?? null,
    trainedAttention: json.pareto_attention ? { window: json.pareto_attention.window, sinks: json.pareto_attention.sinks } : null,
  };
}

/** Decoders of Llama's layer (a gated MLP of three products, RMS norms); the default of their configs' `tie_word_embeddings`. */
const GATED_DECODERS: Record<string, boolean> = { llama: false, mistral: false, qwen2: false, phi3: false, gemma: true };

/**
 * The parameter count config.json implies, as transformers counts it (tied embeddings once), for decoders of Llama's
 * layer; null for other architectures, whose layers this does not know.
 */
function declaredParameters(json: z.infer<typeof DecoderConfigJson>): number | null {
  const tiedByDefault = GATED_DECODERS[json.model_type ?? ''];
  if (tiedByDefault === undefined || json.intermediate_size === undefined) return null;
  const [hidden, inner] = [json.hidden_size, json.intermediate_size];
  const headDim = json.head_dim ?? hidden / json.num_attention_heads;
  const [q, kv] = [json.num_attention_heads * headDim, (json.num_key_value_heads ?? json.num_attention_heads) * headDim];
  const attentionBias = (json.attention_bias ?? json.model_type === 'qwen2') ? q + 2 * kv : 0;
  const layer = hidden * (q + 2 * kv) + attentionBias + q * hidden + 3 * hidden * inner + (json.mlp_bias ? 2 * inner + hidden : 0) + 2 * hidden;
  const embeddings = json.vocab_size * hidden * ((json.tie_word_embeddings ?? tiedByDefault) ? 1 : 2);
  return embeddings + json.num_hidden_layers * layer + hidden;
}

/** The transformers.js decoder layout: config.json, generation_config.json and onnx/ with its precision variants. */
function readTransformersJsLayout(dir: string, folder: string, manifest: ParetoManifest | null): FolderLayoutParts {
  const onnxDir = path.join(dir, 'onnx');
  if (!fs.existsSync(onnxDir)) {
    throw new ApiError('invalid_model', `${folder} has no onnx/ folder: a text model needs onnx/model.onnx (transformers.js layout) or genai_config.json (ONNX Runtime GenAI).`);
  }
  const configJson = parseModelJson(DecoderConfigJson, readModelJson(dir, 'config.json', true), 'config.json', dir);
  const generationDefaults = parseModelJson(GenerationConfigJson, readModelJson(dir, 'generation_config.json', false) ?? {}, 'generation_config.json', dir);
  const points = manifest ? pointsFromManifest(manifest, dir, configJson.num_hidden_layers) : pointsFromFileNames(onnxDir, configJson.num_hidden_layers);
  if (points.length === 0) throw new ApiError('invalid_model', `${folder}/onnx has no model.onnx (nor any precision variant of it).`);
  return {
    layout: manifest ? 'pareto' : 'transformers.js',
    config: decoderConfig(configJson, asIdList(generationDefaults.eos_token_id ?? configJson.eos_token_id)),
    generationDefaults,
    points,
    kvNames: OPTIMUM_KV_NAMES,
    sizeBytes: folderSize(onnxDir),
    parameters: declaredParameters(configJson),
  };
}

/** Reads and checks a text model folder: the transformers.js decoder layout or an ONNX Runtime GenAI folder (SPEC §2). */
export function loadTextModelFolder(folder: string): TextModelFolder {
  const dir = path.resolve(folder);
  if (!fs.existsSync(dir)) throw new ApiError('not_found', `Model folder not found: ${folder}`);
  if (!fs.statSync(dir).isDirectory()) throw new ApiError('invalid_model', `${folder} is a file, not a model folder.`);
  const manifest = readParetoManifest(dir);
  const parts = isGenaiFolder(dir) ? readGenaiLayout(dir) : readTransformersJsLayout(dir, folder, manifest);
  for (const point of parts.points) modelFileInside(dir, path.relative(dir, point.path));
  return {
    dir,
    name: path.basename(dir),
    ...parts,
    tokenizerJson: withOptionalTokenizerKeys(readModelJson(dir, 'tokenizer.json', true) as object),
    tokenizerConfig: (readModelJson(dir, 'tokenizer_config.json', false) ?? {}) as object,
    manifest,
  };
}

/**
 * tokenizer.json files written by other tools leave out the keys that have no value (no decoder, no
 * post-processor); tokenizers.js wants every key, so the absent ones are given as null, which means none.
 */
function withOptionalTokenizerKeys(json: object): object {
  return { truncation: null, padding: null, added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, ...json };
}
