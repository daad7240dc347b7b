import crypto from 'node:crypto';
import { ApiError, defaultImageSteps, type ExecutionProvider, type ImageParameters, type ImageResult, type ResolvedImageGenerationRequest } from '../../contract';
import { modelFileBytes, type SessionTuning } from '../onnx/open-session';
import type { Lease, SessionPool } from '../onnx/session-pool';
import { encodePng, pngDataUrl } from '../png/png';
import { formatA1111, pngTextFor } from './generation-parameters';
import { GraphSession, floatData, floatTensorFor, timestepTensorFor, type GraphInput } from './graph-session';
import { findUnetPoint, type ImageModelFolder } from './model-folder';
import { NoiseGenerator } from './noise';
import { previewDataUrl, toRgbImage } from './preview';
import { PromptEncoder } from './prompt-encoder';
import { createScheduler, defaultSchedulerName, type Scheduler } from './schedulers';

export interface ImageStepInfo {
  step: number;
  steps: number;
  precision: string;
  preview: string | null;
}

export interface ImageGenerationHooks {
  signal?: AbortSignal;
  onStarted?(info: { ep: ExecutionProvider; fallbackReason: string | null }): void;
  onStep?(info: ImageStepInfo): void;
}

/** What the UNet graph declares: the engine detects, it does not guess. */
export interface UnetLayout {
  sample: GraphInput;
  timestep: GraphInput;
  states: GraphInput;
  output: string;
  channels: number;
  /** Latent cells per side when the graph fixes them. */
  fixedHeight: number | null;
  fixedWidth: number | null;
  /** False when the graph's batch dimension is fixed to 1: guidance then runs two passes. */
  dynamicBatch: boolean;
  /** How the timestep is fed: a scalar, one value broadcast over the batch, or one per sample. */
  timestepShape: 'scalar' | 'one' | 'batch';
}

export interface PreparedImageRun {
  parameters: ImageParameters;
  modelName: string;
  textEncoder: GraphSession;
  unetFull: GraphSession;
  unetCheap: GraphSession | null;
  fullPrecision: string;
  cheapPrecision: string | null;
  cheapSteps: number;
  vae: GraphSession | null;
  layout: UnetLayout;
  /** The cheap UNet's own layout: a variant may declare other input types (fp16 exports take float16). */
  cheapLayout: UnetLayout | null;
  cfg: ImageResult['cfg'];
  latentHeight: number;
  latentWidth: number;
  tokenLength: number;
  previewEvery: number;
  scheduler: Scheduler;
  leases: Lease<GraphSession>[];
}

/** Thrown when a run is cancelled between steps. */
export class ImageCancelledError extends ApiError {
  constructor(step: number, steps: number) {
    super('bad_request', `Cancelled after ${step} of ${steps} steps.`);
  }
}

const SESSION_MEMORY_FACTOR = 1.5;
const MAX_PIXELS = 4096 * 4096;
/** Latent grids up to this many cells are previewed through the VAE decoder itself (cheap there). */
const MAX_DECODED_PREVIEW_CELLS = 32 * 32;
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
    return this.sessions.acquire(key, modelFileBytes(file) * SESSION_MEMORY_FACTOR, () => GraphSession.open(file, this.folder.dir, ep, this.tuning));
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
    const scheduler = createScheduler(schedulerName, folder.schedulerConfig);
    try {
      scheduler.setTimesteps(steps);
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
        seed: request.seed ?? crypto.randomInt(0, 2 ** 32),
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
        scheduler,
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
    if (width * height > MAX_PIXELS) throw new ApiError('bad_request', `${width}x${height} is more than ${MAX_PIXELS} pixels.`, 'width');
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

  /** Runs a prepared request to the end; its sessions go back to the pool afterwards. */
  async run(prepared: PreparedImageRun, hooks: ImageGenerationHooks = {}): Promise<ImageResult> {
    try {
      return await this.denoise(prepared, hooks);
    } finally {
      prepared.leases.forEach((lease) => lease.release());
    }
  }

  async generate(request: ResolvedImageGenerationRequest & { model: string }, hooks: ImageGenerationHooks = {}): Promise<ImageResult> {
    return this.run(await this.prepare(request), hooks);
  }

  private async denoise(prepared: PreparedImageRun, hooks: ImageGenerationHooks): Promise<ImageResult> {
    const { parameters, layout, scheduler, cfg } = prepared;
    const startedAt = performance.now();
    let peakRss = process.memoryUsage.rss();
    hooks.onStarted?.({ ep: prepared.unetFull.ep, fallbackReason: prepared.unetFull.fallbackReason });

    const cond = await this.prompts.encode(prepared.textEncoder, parameters.prompt, prepared.tokenLength);
    const uncond = cfg === 'none' ? null : await this.prompts.encode(prepared.textEncoder, parameters.negativePrompt, prepared.tokenLength);
    const textEncoderMs = performance.now() - startedAt;

    const shape = [layout.channels, prepared.latentHeight, prepared.latentWidth];
    const size = shape[0]! * shape[1]! * shape[2]!;
    // One generator for the initial noise and every step's noise, as diffusers' pipelines do.
    const generator = new NoiseGenerator(parameters.seed);
    let latents = generator.randn(size);
    if (scheduler.initNoiseSigma !== 1) latents = Float32Array.from(latents, (v) => v * scheduler.initNoiseSigma);

    const precisionSteps: Record<string, number> = {};
    const steps = scheduler.timesteps.length;
    const stepsStartedAt = performance.now();
    for (let i = 0; i < steps; i++) {
      if (hooks.signal?.aborted) throw new ImageCancelledError(i, steps);
      const t = scheduler.timesteps[i]!;
      const cheap = i < prepared.cheapSteps && prepared.unetCheap !== null;
      const unet = cheap ? prepared.unetCheap! : prepared.unetFull;
      const unetLayout = cheap ? prepared.cheapLayout! : layout;
      const precision = cheap ? prepared.cheapPrecision! : prepared.fullPrecision;
      precisionSteps[precision] = (precisionSteps[precision] ?? 0) + 1;

      const input = scheduler.scaleModelInput(latents, t);
      const noisePred = await this.predictNoise(unet, unetLayout, input, shape, t, cond, uncond, cfg, parameters.guidance);
      const output = scheduler.step(noisePred, t, latents, generator);
      latents = output.prevSample;
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      const wantsPreview = hooks.onStep !== undefined && prepared.previewEvery > 0 && (i + 1) % prepared.previewEvery === 0 && i + 1 < steps;
      const preview = wantsPreview ? await this.preview(prepared, output.predOriginalSample, shape) : null;
      hooks.onStep?.({ step: i + 1, steps, precision, preview });
    }
    const stepsMs = performance.now() - stepsStartedAt;

    const decodeStartedAt = performance.now();
    const pixels = await this.decode(prepared, latents, shape);
    const image = toRgbImage(pixels.data, pixels.channels, pixels.height, pixels.width);
    const parametersText = formatA1111(parameters, prepared.modelName);
    const png = encodePng(image, pngTextFor(parameters, prepared.modelName));
    const decodeMs = performance.now() - decodeStartedAt;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    return {
      png: Buffer.from(png).toString('base64'),
      width: image.width,
      height: image.height,
      parametersText,
      parameters,
      ep: prepared.unetFull.ep,
      cfg,
      metrics: {
        msPerStep: steps > 0 ? stepsMs / steps : null,
        sPerImage: (performance.now() - startedAt) / 1000,
        textEncoderMs,
        decodeMs,
        steps,
        peakRssMb: peakRss / (1024 * 1024),
        energyJ: null,
        energySource: null,
        energyJRange: null,
        meanWatts: null,
        joulesPerOutput: null,
        precisionSteps,
      },
    };
  }

  /** ε (or v, or x0) for one step, with classifier-free guidance: uncond + g (cond − uncond). */
  private async predictNoise(
    unet: GraphSession,
    layout: UnetLayout,
    sample: Float32Array,
    shape: number[],
    t: number,
    cond: { states: Float32Array; dims: number[] },
    uncond: { states: Float32Array; dims: number[] } | null,
    cfg: ImageResult['cfg'],
    guidance: number,
  ): Promise<Float32Array> {
    const run = async (batch: number, samples: Float32Array, states: Float32Array) => {
      const timestepDims = layout.timestepShape === 'scalar' ? [] : layout.timestepShape === 'one' ? [1] : [batch];
      const timesteps = new Array<number>(layout.timestepShape === 'batch' ? batch : 1).fill(t);
      const outputs = await unet.run({
        sample: floatTensorFor(layout.sample, samples, [batch, ...shape]),
        timestep: timestepTensorFor(layout.timestep, timesteps, timestepDims),
        encoder_hidden_states: floatTensorFor(layout.states, states, [batch, ...cond.dims.slice(1)]),
      });
      return floatData(outputs[layout.output]!, unet.displayName);
    };
    if (cfg === 'none' || uncond === null) return run(1, sample, cond.states);
    let uncondOut: Float32Array;
    let condOut: Float32Array;
    if (cfg === 'batched') {
      const samples = new Float32Array(sample.length * 2);
      samples.set(sample);
      samples.set(sample, sample.length);
      const states = new Float32Array(cond.states.length * 2);
      states.set(uncond.states);
      states.set(cond.states, uncond.states.length);
      const both = await run(2, samples, states);
      uncondOut = both.subarray(0, sample.length);
      condOut = both.subarray(sample.length);
    } else {
      uncondOut = await run(1, sample, uncond.states);
      condOut = await run(1, sample, cond.states);
    }
    return Float32Array.from(uncondOut, (u, i) => u + guidance * (condOut[i]! - u));
  }

  /**
   * A preview of the predicted x0. Small latents (the studio's emoji models: 16×16) go through the VAE decoder itself,
   * which costs about one UNet call there and shows the real picture; large SD latents use the cheap linear approximation.
   */
  private async preview(prepared: PreparedImageRun, x0: Float32Array, shape: number[]): Promise<string> {
    if (!prepared.vae || shape[1]! * shape[2]! > MAX_DECODED_PREVIEW_CELLS) return previewDataUrl(x0, shape, prepared.vae !== null);
    const pixels = await this.decode(prepared, x0, shape);
    return pngDataUrl(toRgbImage(pixels.data, pixels.channels, pixels.height, pixels.width));
  }

  /** Latents → pixels in [-1, 1]: through the VAE decoder (after 1/scaling_factor), or as they are for pixel-space models. */
  private async decode(prepared: PreparedImageRun, latents: Float32Array, shape: number[]) {
    if (!prepared.vae) return { data: latents, channels: shape[0]!, height: shape[1]!, width: shape[2]! };
    const input = prepared.vae.requireInput('latent_sample', 'a VAE decoder');
    const scaled = Float32Array.from(latents, (v) => v / this.folder.vaeScalingFactor);
    const outputs = await prepared.vae.run({ latent_sample: floatTensorFor(input, scaled, [1, ...shape]) });
    const output = outputs[prepared.vae.outputName('sample')]!;
    const dims = output.dims.map(Number);
    if (dims.length !== 4 || dims[1]! < 3) throw new ApiError('invalid_model', `${prepared.vae.displayName} returned shape [${dims.join(', ')}], not an RGB image [1, 3, H, W].`);
    return { data: floatData(output, prepared.vae.displayName), channels: dims[1]!, height: dims[2]!, width: dims[3]! };
  }
}
