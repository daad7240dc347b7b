import crypto from 'node:crypto';
import { ApiError, defaultImageSteps, type ExecutionProvider, type ImageParameters, type ImageResult, type ResolvedImageGenerationRequest } from '../../contract';
import type { SessionTuning } from '../onnx/open-session';
import type { Lease, SessionPool } from '../onnx/session-pool';
import { encodePng } from '../png/png';
import { formatA1111, pngTextFor } from './generation-parameters';
import { denoiseGroup, startLatents } from './batch-denoise';
import type { ImageGenerationHooks, PreparedImageRun, UnetLayout } from './image-run';
import { GraphSession, loadedWeightBytes } from './graph-session';
import { findUnetPoint, type ImageModelFolder } from './model-folder';
import { toRgbImage } from './preview';
import { decodeLatents, previewImages } from './vae-decode';
import { PromptEncoder } from './prompt-encoder';
import { createScheduler, defaultSchedulerName } from './schedulers';

export type { ImageGenerationHooks, ImageStepInfo, PreparedImageRun, UnetLayout } from './image-run';

/** The batch's seeds: those given, else seed, seed + 1, … (a random first seed when none is given). */
function batchSeeds(request: ResolvedImageGenerationRequest): number[] {
  if (request.seeds) return request.seeds;
  const first = request.seed ?? crypto.randomInt(0, 2 ** 32);
  return Array.from({ length: request.batch ?? 1 }, (_, index) => (first + index) % 2 ** 32);
}

const SESSION_MEMORY_FACTOR = 1.5;
/**
 * What an image may take: a run's peak memory grows with its pixels, mostly the VAE decoder's full-size
 * activations (about 128 float channels per pixel in SD's last block), so a size is refused before anything
 * is allocated when its estimate is over this.
 */
const IMAGE_MEMORY_BUDGET_BYTES = 2 * 1024 ** 3;
const ESTIMATED_BYTES_PER_PIXEL = 128 * 4;
/** The CLIP length when neither the graph nor the tokenizer config says. */
const DEFAULT_TOKEN_LENGTH = 77;

function detectUnet(unet: GraphSession, folder: ImageModelFolder): UnetLayout {
  const sample = unet.requireInput('sample', 'a diffusion UNet');
  const timestep = unet.requireInput('timestep', 'a diffusion UNet');
  const states = unet.requireInput('encoder_hidden_states', 'a text-conditioned UNet');
  const fixed = (value: number | string | undefined) => (typeof value === 'number' && value > 0 ? value : null);
  const channels = fixed(sample.shape[1]) ?? folder.unetInChannels ?? (folder.vaeDecoderPath ? 4 : 3);
  if (!folder.vaeDecoderPath && channels !== 3) {
    throw new ApiError('invalid_model', `vae_decoder/model.onnx is missing from ${folder.dir}, and ${unet.displayName} works on ${channels}-channel latents, not RGB pixels.`);
  }
  const batch = fixed(sample.shape[0]);
  const timestepBatch = timestep.shape.length === 0 ? null : fixed(timestep.shape[0]);
  return {
    sample,
    timestep,
    states,
    output: unet.outputName('out_sample'),
    channels,
    fixedHeight: fixed(sample.shape[2]),
    fixedWidth: fixed(sample.shape[3]),
    dynamicBatch: batch === null || batch > 1,
    timestepShape: timestep.shape.length === 0 ? 'scalar' : timestepBatch === 1 ? 'one' : 'batch',
  };
}

/** A diffusion model ready to generate: its folder and prompt encoder, with sessions from a shared pool. */
export class ImageGenerator {
  private readonly prompts: PromptEncoder;

  constructor(
    readonly folder: ImageModelFolder,
    private readonly sessions: SessionPool,
    private readonly tuning: SessionTuning = {},
  ) {
    this.prompts = new PromptEncoder(folder.tokenizerJson, folder.tokenizerConfig, folder.name);
  }

  private async session(file: string, ep: ExecutionProvider): Promise<Lease<GraphSession>> {
    const key = [file, ep, this.tuning.threads ?? '', this.tuning.graphOptimizationLevel ?? ''].join('\0');
    return this.sessions.acquire(key, () => loadedWeightBytes(file) * SESSION_MEMORY_FACTOR, () => GraphSession.open(file, this.folder.dir, ep, this.tuning));
  }

  /** Checks a request against the model and opens its sessions, so errors come before queueing. */
  /** `model` is resolved by then: the host's λ policy fills it in when the request names none. */
  async prepare(request: ResolvedImageGenerationRequest & { model: string }): Promise<PreparedImageRun> {
    const folder = this.folder;
    const schedulerName = request.scheduler ?? defaultSchedulerName(folder.schedulerConfig);
    const dynamic = request.dynamicPrecision;
    const fullPoint = findUnetPoint(folder, dynamic?.full ?? request.precision);
    const cheapPoint = dynamic ? findUnetPoint(folder, dynamic.cheap) : null;
    const steps = request.steps ?? fullPoint.steps ?? defaultImageSteps(schedulerName);
    const seeds = batchSeeds(request);
    // One scheduler per image: multistep schedulers keep each sample's past model outputs.
    const schedulers = seeds.map(() => createScheduler(schedulerName, folder.schedulerConfig));
    try {
      schedulers.forEach((scheduler) => scheduler.setTimesteps(steps));
    } catch (error) {
      throw new ApiError('bad_request', (error as Error).message);
    }
    const cheapSteps = dynamic ? Math.min(steps, dynamic.cheapSteps ?? Math.round(steps * (dynamic.cheapFraction ?? 0.5))) : 0;

    const leases: Lease<GraphSession>[] = [];
    const open = async (file: string) => {
      const lease = await this.session(file, request.ep);
      leases.push(lease);
      return lease.value;
    };
    try {
      const textEncoder = await open(folder.textEncoderPath);
      const unetFull = await open(fullPoint.path);
      const unetCheap = cheapPoint && cheapSteps > 0 ? await open(cheapPoint.path) : null;
      const vae = folder.vaeDecoderPath ? await open(folder.vaeDecoderPath) : null;
      const layout = detectUnet(unetFull, folder);
      const cheapLayout = unetCheap ? detectUnet(unetCheap, folder) : null;
      if (cheapLayout && (cheapLayout.channels !== layout.channels || cheapLayout.dynamicBatch !== layout.dynamicBatch)) {
        throw new ApiError('invalid_model', `${unetCheap!.displayName} and ${unetFull.displayName} take different samples, so they cannot share a run.`);
      }
      if (vae) vae.requireInput('latent_sample', 'a VAE decoder');

      const { latentHeight, latentWidth, width, height } = this.resolveSize(request, layout);
      const guidance = request.guidance ?? folder.defaultGuidance;
      const cfg = this.resolveCfg(request, guidance, layout);
      const idsInput = textEncoder.requireInput('input_ids', 'a text encoder');
      const tokenLength = (typeof idsInput.shape[1] === 'number' && idsInput.shape[1] > 0 ? idsInput.shape[1] : null) ?? folder.maxLength ?? DEFAULT_TOKEN_LENGTH;
      const parameters: ImageParameters = {
        model: request.model,
        prompt: request.prompt,
        negativePrompt: request.negativePrompt ?? '',
        steps,
        guidance,
        seed: seeds[0]!,
        scheduler: schedulerName,
        precision: fullPoint.precision,
        dynamicPrecision: dynamic && cheapPoint ? { cheap: cheapPoint.precision, full: fullPoint.precision, cheapSteps } : null,
        width,
        height,
      };
      return {
        parameters,
        modelName: folder.name,
        textEncoder,
        unetFull,
        unetCheap,
        fullPrecision: fullPoint.precision,
        cheapPrecision: cheapPoint?.precision ?? null,
        cheapSteps: unetCheap ? cheapSteps : 0,
        vae,
        layout,
        cheapLayout,
        cfg,
        latentHeight,
        latentWidth,
        tokenLength,
        previewEvery: request.previewEvery ?? Math.max(1, Math.round(steps / 5)),
        seeds,
        schedulers,
        leases,
      };
    } catch (error) {
      leases.forEach((lease) => lease.release());
      throw error;
    }
  }

  private resolveSize(request: ResolvedImageGenerationRequest, layout: UnetLayout) {
    const scale = this.folder.vaeScaleFactor;
    const trained = this.folder.unetSampleSize;
    const defaultSide = (fixedCells: number | null) => (fixedCells ?? trained ?? 64) * scale;
    const width = request.width ?? defaultSide(layout.fixedWidth);
    const height = request.height ?? defaultSide(layout.fixedHeight);
    for (const [name, value, fixedCells] of [['width', width, layout.fixedWidth], ['height', height, layout.fixedHeight]] as const) {
      if (fixedCells !== null && value !== fixedCells * scale) {
        throw new ApiError('bad_request', `${this.folder.name} makes ${fixedCells * scale}-pixel ${name}s only (its UNet graph is fixed at ${fixedCells} cells); got ${value}.`, name);
      }
      if (value % scale !== 0) throw new ApiError('bad_request', `The ${name} must be a multiple of ${scale} for ${this.folder.name}; got ${value}.`, name);
    }
    const estimate = width * height * ESTIMATED_BYTES_PER_PIXEL;
    if (estimate > IMAGE_MEMORY_BUDGET_BYTES) {
      const gb = (bytes: number) => (bytes / 1024 ** 3).toFixed(1);
      const asked = request.width === undefined && request.height === undefined ? `its declared resolution, ${width}x${height},` : `${width}x${height}`;
      throw new ApiError('bad_request', `${this.folder.name} at ${asked} would need about ${gb(estimate)} GB, more than the ${gb(IMAGE_MEMORY_BUDGET_BYTES)} GB an image may take: ask for a smaller width and height.`, 'width');
    }
    return { width, height, latentWidth: width / scale, latentHeight: height / scale };
  }

  private resolveCfg(request: ResolvedImageGenerationRequest, guidance: number, layout: UnetLayout): ImageResult['cfg'] {
    if (guidance <= 1) return 'none';
    if (request.cfgMode === 'two-pass') return 'two-pass';
    if (!layout.dynamicBatch) {
      if (request.cfgMode === 'batched') throw new ApiError('bad_request', `${this.folder.name}'s UNet takes batch 1 only, so guidance cannot run batched; use cfgMode "two-pass" or "auto".`);
      return 'two-pass';
    }
    return 'batched';
  }

  /** Runs a prepared request to the end, one result per image of its batch; its sessions go back to the pool afterwards. */
  async run(prepared: PreparedImageRun, hooks: ImageGenerationHooks = {}): Promise<ImageResult[]> {
    try {
      return await this.denoise(prepared, hooks);
    } finally {
      prepared.leases.forEach((lease) => lease.release());
    }
  }

  async generate(request: ResolvedImageGenerationRequest & { model: string }, hooks: ImageGenerationHooks = {}): Promise<ImageResult[]> {
    return this.run(await this.prepare(request), hooks);
  }

  private async denoise(prepared: PreparedImageRun, hooks: ImageGenerationHooks): Promise<ImageResult[]> {
    const { parameters, layout, cfg } = prepared;
    const startedAt = performance.now();
    const peak = { rss: process.memoryUsage.rss() };
    hooks.onStarted?.({ ep: prepared.unetFull.ep, fallbackReason: prepared.unetFull.fallbackReason });

    const cond = await this.prompts.encode(prepared.textEncoder, parameters.prompt, prepared.tokenLength);
    const uncond = cfg === 'none' ? null : await this.prompts.encode(prepared.textEncoder, parameters.negativePrompt, prepared.tokenLength);
    const textEncoderMs = performance.now() - startedAt;

    const shape = [layout.channels, prepared.latentHeight, prepared.latentWidth];
    const decoder = { vae: prepared.vae, scalingFactor: this.folder.vaeScalingFactor };
    const images = prepared.seeds.map((seed, index) => startLatents(index, seed, prepared.schedulers[index]!, shape));
    // Batched UNet calls where the graph's batch axis is dynamic; else one image after another.
    const groups = layout.dynamicBatch ? [images] : images.map((image) => [image]);
    const stepsStartedAt = performance.now();
    for (const group of groups) {
      await denoiseGroup(prepared, group, { shape, cond, uncond, peak, signal: hooks.signal }, {
        previews: hooks.onStep ? (x0s) => previewImages(decoder, x0s, shape) : null,
        onStep: (info) => hooks.onStep?.(info),
      });
    }
    const steps = parameters.steps;
    const stepsMs = performance.now() - stepsStartedAt;

    const decodeStartedAt = performance.now();
    const decoded = await decodeLatents(decoder, images.map((image) => image.latents), shape);
    const pngs = decoded.map((pixels, index) => {
      const imageParameters = { ...parameters, seed: images[index]!.seed };
      const rgb = toRgbImage(pixels.data, pixels.channels, pixels.height, pixels.width);
      return { rgb, imageParameters, png: encodePng(rgb, pngTextFor(imageParameters, prepared.modelName)) };
    });
    const decodeMs = performance.now() - decodeStartedAt;
    peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
    const batchSize = images.length;
    const metrics: ImageResult['metrics'] = {
      msPerStep: steps > 0 ? stepsMs / (steps * groups.length) : null,
      sPerImage: (performance.now() - startedAt) / 1000 / batchSize,
      textEncoderMs,
      decodeMs: decodeMs / batchSize,
      steps,
      peakRssMb: peak.rss / (1024 * 1024),
      energyJ: null,
      energySource: null,
      energyJRange: null,
      meanWatts: null,
      joulesPerOutput: null,
      precisionSteps: precisionSplit(prepared),
      batchSize,
    };
    return pngs.map(({ rgb, imageParameters, png }) => ({
      png: Buffer.from(png).toString('base64'),
      width: rgb.width,
      height: rgb.height,
      parametersText: formatA1111(imageParameters, prepared.modelName),
      parameters: imageParameters,
      ep: prepared.unetFull.ep,
      cfg,
      metrics: { ...metrics },
    }));
  }
}

/** Steps run at each UNet precision: the cheap variant's first steps, the full one's rest. */
function precisionSplit(prepared: PreparedImageRun): Record<string, number> {
  const split: Record<string, number> = {};
  const cheapSteps = prepared.unetCheap ? prepared.cheapSteps : 0;
  if (cheapSteps > 0) split[prepared.cheapPrecision!] = cheapSteps;
  const fullSteps = prepared.parameters.steps - cheapSteps;
  if (fullSteps > 0) split[prepared.fullPrecision] = (split[prepared.fullPrecision] ?? 0) + fullSteps;
  return split;
}
