import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ApiError } from '../../contract';
import { modelFileInside, parseModelJson, readModelJson } from '../package/model-json';
import { modelFileBytes } from '../onnx/open-session';
import { packageFile, readParetoManifest, type ManifestOperatingPoint, type ParetoManifest } from '../package/pareto-manifest';
import { SchedulerConfigJson, type SchedulerConfigInput } from './schedulers/scheduler';

const SD_DEFAULT_GUIDANCE = 7.5;

const ModelIndexJson = z.looseObject({
  _class_name: z.string().optional(),
  /** The guidance scale the model was made for (a guidance-distilled student runs at 1). */
  default_guidance_scale: z.number().min(0).max(50).optional(),
  /** Pixel-space packages have no unet/config.json: the studio's recipe writes the trained size here. */
  sample_size: z.number().int().positive().max(1024).optional(),
});
const UnetConfigJson = z.looseObject({
  in_channels: z.number().int().positive().max(64).optional(),
  sample_size: z.union([z.number().int().positive().max(1024), z.array(z.number().int().positive().max(1024))]).optional(),
});
const VaeConfigJson = z.looseObject({
  scaling_factor: z.number().positive().optional(),
  block_out_channels: z.array(z.number().int().positive()).min(1).max(8).optional(),
});
const TokenizerConfigJson = z.looseObject({ model_max_length: z.number().int().positive().optional() });

/** UNet precision variants beside unet/model.onnx, by the file-name suffixes that carry them. */
const UNET_VARIANTS: Record<string, readonly string[]> = {
  fp32: ['model.onnx'],
  fp16: ['model_fp16.onnx'],
  int8: ['model_int8.onnx', 'model_quantized.onnx'],
  q4: ['model_q4.onnx'],
};

/** One runnable UNet file: a precision, with the step count pareto.json recommends for it. */
export interface UnetPoint {
  precision: string;
  /** Diffusion steps this operating point was measured at (pareto.json), null for third-party folders. */
  steps: number | null;
  path: string;
  quality: ManifestOperatingPoint['quality'] | null;
}

export interface ImageModelFolder {
  dir: string;
  name: string;
  /** model_index.json's pipeline class, e.g. OnnxStableDiffusionPipeline. */
  pipelineClass: string | null;
  tokenizerJson: object;
  tokenizerConfig: object;
  /** The tokenizer's model_max_length, when it says (CLIP: 77). */
  maxLength: number | null;
  /** The guidance scale to use when a request gives none: model_index.json's, else the SD default. */
  defaultGuidance: number;
  schedulerConfig: SchedulerConfigInput;
  textEncoderPath: string;
  unetPoints: UnetPoint[];
  /** Null for a pixel-space model, whose UNet works on images directly. */
  vaeDecoderPath: string | null;
  /** Latents are divided by this before the VAE decodes them (SD 1.x: 0.18215). */
  vaeScalingFactor: number;
  /** Pixels per latent cell along each side (SD: 8); 1 for pixel-space models. */
  vaeScaleFactor: number;
  unetInChannels: number | null;
  /** The UNet's trained sample size (latent cells per side), when its config says. */
  unetSampleSize: number | null;
  manifest: ParetoManifest | null;
  sizeBytes: number;
}

/** True when a folder looks like a diffusers pipeline (it has model_index.json). */
export function isImageModelFolder(folder: string): boolean {
  return fs.existsSync(path.join(folder, 'model_index.json'));
}

function requireFile(dir: string, relative: string, why: string): string {
  const full = path.join(dir, relative);
  if (!fs.existsSync(full)) throw new ApiError('invalid_model', `${relative} is missing from ${dir}: ${why}`);
  return full;
}

function readTokenizer(dir: string): { json: object; config: object } {
  const tokenizerDir = path.join(dir, 'tokenizer');
  if (!fs.existsSync(path.join(tokenizerDir, 'tokenizer.json'))) {
    if (fs.existsSync(path.join(tokenizerDir, 'vocab.json')) && fs.existsSync(path.join(tokenizerDir, 'merges.txt'))) {
      throw new ApiError(
        'invalid_model',
        `tokenizer/tokenizer.json is missing from ${dir}: the folder has only the slow tokenizer's vocab.json and merges.txt. ` +
          'Save the fast tokenizer once with transformers (AutoTokenizer.from_pretrained(dir + "/tokenizer").save_pretrained(same dir)).',
      );
    }
    throw new ApiError('invalid_model', `tokenizer/tokenizer.json is missing from ${dir}: the prompt cannot be tokenized without it.`);
  }
  return {
    json: readModelJson(dir, 'tokenizer/tokenizer.json', true) as object,
    config: (readModelJson(dir, 'tokenizer/tokenizer_config.json', false) ?? {}) as object,
  };
}

function pointsFromFiles(unetDir: string): UnetPoint[] {
  const points: UnetPoint[] = [];
  for (const [precision, names] of Object.entries(UNET_VARIANTS)) {
    const found = names.map((name) => path.join(unetDir, name)).find((file) => fs.existsSync(file));
    if (found) points.push({ precision, steps: null, path: found, quality: null });
  }
  return points;
}

function pointsFromManifest(manifest: ParetoManifest, dir: string): UnetPoint[] {
  return manifest.operatingPoints.map((point) => {
    const file = packageFile(dir, point.file);
    if (!fs.existsSync(file)) throw new ApiError('invalid_model', `${point.file} is missing from ${dir} (pareto.json lists it).`);
    return { precision: point.precision, steps: point.steps ?? null, path: file, quality: point.quality };
  });
}

/** The distinct UNet precisions a folder offers, in the order they were found. */
export function imagePrecisions(folder: ImageModelFolder): string[] {
  return [...new Set(folder.unetPoints.map((point) => point.precision))];
}

/** The UNet file for a precision; the default is fp32, else the first variant. */
export function findUnetPoint(folder: ImageModelFolder, precision?: string): UnetPoint {
  const precisions = imagePrecisions(folder);
  const wanted = precision ?? (precisions.includes('fp32') ? 'fp32' : precisions[0]!);
  const point = folder.unetPoints.find((p) => p.precision === wanted);
  if (!point) throw new ApiError('bad_request', `${folder.name} has no ${wanted} UNet; it offers ${precisions.join(', ')}.`);
  return point;
}

/** Reads and checks an image model folder in the diffusers ONNX layout (SPEC §2). */
export function loadImageModelFolder(folder: string): ImageModelFolder {
  const dir = path.resolve(folder);
  if (!fs.existsSync(dir)) throw new ApiError('not_found', `Model folder not found: ${folder}`);
  if (!fs.statSync(dir).isDirectory()) throw new ApiError('invalid_model', `${folder} is a file, not a model folder.`);
  if (!isImageModelFolder(dir)) {
    throw new ApiError('invalid_model', `model_index.json is missing from ${dir}: an image model needs the diffusers ONNX layout (model_index.json, unet/, text_encoder/, tokenizer/, scheduler/).`);
  }
  const modelIndex = parseModelJson(ModelIndexJson, readModelJson(dir, 'model_index.json', true), 'model_index.json', dir);
  const manifest = readParetoManifest(dir);
  if (manifest && manifest.kind !== 'image') throw new ApiError('invalid_model', `pareto.json in ${dir} says kind "${manifest.kind}", but the folder is a diffusers image pipeline.`);
  const unetDir = path.join(dir, 'unet');
  const unetPoints = manifest ? pointsFromManifest(manifest, dir) : fs.existsSync(unetDir) ? pointsFromFiles(unetDir) : [];
  if (unetPoints.length === 0) throw new ApiError('invalid_model', `unet/model.onnx is missing from ${dir} (nor is there any precision variant of it): the denoiser is required.`);
  const textEncoderPath = requireFile(dir, path.join('text_encoder', 'model.onnx'), 'the prompt cannot be encoded without it.');
  const tokenizer = readTokenizer(dir);
  const schedulerConfig = parseModelJson(SchedulerConfigJson, readModelJson(dir, 'scheduler/scheduler_config.json', true), 'scheduler/scheduler_config.json', dir);
  const vaeFile = path.join(dir, 'vae_decoder', 'model.onnx');
  const vaeDecoderPath = fs.existsSync(vaeFile) ? vaeFile : null;
  const unetConfig = parseModelJson(UnetConfigJson, readModelJson(dir, 'unet/config.json', false) ?? {}, 'unet/config.json', dir);
  const vaeConfig = parseModelJson(VaeConfigJson, readModelJson(dir, 'vae_decoder/config.json', false) ?? {}, 'vae_decoder/config.json', dir);
  const tokenizerConfig = parseModelJson(TokenizerConfigJson, tokenizer.config, 'tokenizer/tokenizer_config.json', dir);

  for (const file of [textEncoderPath, ...unetPoints.map((p) => p.path), ...(vaeDecoderPath ? [vaeDecoderPath] : [])]) modelFileInside(dir, path.relative(dir, file));

  const sampleSize = unetConfig.sample_size ?? modelIndex.sample_size;
  const files = [textEncoderPath, ...new Set(unetPoints.map((p) => p.path)), ...(vaeDecoderPath ? [vaeDecoderPath] : [])];
  return {
    dir,
    name: manifest?.name ?? path.basename(dir),
    pipelineClass: modelIndex._class_name ?? null,
    defaultGuidance: modelIndex.default_guidance_scale ?? SD_DEFAULT_GUIDANCE,
    tokenizerJson: tokenizer.json,
    tokenizerConfig: tokenizer.config,
    // transformers writes a huge sentinel when a tokenizer has no limit.
    maxLength: tokenizerConfig.model_max_length !== undefined && tokenizerConfig.model_max_length <= 4096 ? tokenizerConfig.model_max_length : null,
    schedulerConfig,
    textEncoderPath,
    unetPoints,
    vaeDecoderPath,
    vaeScalingFactor: vaeDecoderPath ? (vaeConfig.scaling_factor ?? 0.18215) : 1,
    vaeScaleFactor: vaeDecoderPath ? 2 ** ((vaeConfig.block_out_channels?.length ?? 4) - 1) : 1,
    unetInChannels: unetConfig.in_channels ?? null,
    unetSampleSize: Array.isArray(sampleSize) ? (sampleSize[0] ?? null) : (sampleSize ?? null),
    manifest,
    sizeBytes: files.reduce((sum, file) => sum + modelFileBytes(file), 0),
  };
}
