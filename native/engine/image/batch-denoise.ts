import { ApiError, type ImageResult } from '../../contract';
import type { GraphSession } from './graph-session';
import { floatData, floatTensorFor, timestepTensorFor } from './graph-session';
import type { ImageStepInfo, PreparedImageRun, UnetLayout } from './image-run';
import { NoiseGenerator } from './noise';
import type { Scheduler } from './schedulers';

/** Step previews go to every client: at most ten a second, however fast the steps are. */
const MIN_PREVIEW_INTERVAL_MS = 100;

/** Thrown when a run is cancelled between steps. */
export class ImageCancelledError extends ApiError {
  constructor(step: number, steps: number) {
    super('bad_request', `Cancelled after ${step} of ${steps} steps.`);
  }
}

/** One image of a batch while it denoises: its own seed, noise generator, scheduler state and latents. */
export interface BatchLatents {
  index: number;
  seed: number;
  generator: NoiseGenerator;
  scheduler: Scheduler;
  latents: Float32Array;
}

interface PromptStates {
  states: Float32Array;
  dims: number[];
}

export interface GroupContext {
  shape: number[];
  cond: PromptStates;
  uncond: PromptStates | null;
  /** The run's peak resident memory so far, raised as the group runs. */
  peak: { rss: number };
  signal?: AbortSignal;
}

export interface GroupHooks {
  /** Turns the group's predicted x0s into preview data URLs; null when nobody listens. */
  previews: ((x0s: Float32Array[]) => Promise<string[]>) | null;
  onStep(info: ImageStepInfo): void;
}

/** An image's starting noise: one generator for it and every later step's noise, as diffusers' pipelines do. */
export function startLatents(index: number, seed: number, scheduler: Scheduler, shape: readonly number[]): BatchLatents {
  const generator = new NoiseGenerator(seed);
  let latents = generator.randn(shape.reduce((product, side) => product * side, 1));
  if (scheduler.initNoiseSigma !== 1) latents = Float32Array.from(latents, (v) => v * scheduler.initNoiseSigma);
  return { index, seed, generator, scheduler, latents };
}

/**
 * Runs every step for a group of images that share each UNet call (a batch of the group's size, twice
 * that with batched guidance); each image keeps its own scheduler, so the result of image i does not
 * depend on the others. Previews come every `previewEvery` steps (at most ten a second), per image.
 */
export async function denoiseGroup(prepared: PreparedImageRun, group: BatchLatents[], context: GroupContext, hooks: GroupHooks): Promise<void> {
  const { timesteps } = group[0]!.scheduler;
  const steps = timesteps.length;
  let lastPreviewAt = -Infinity;
  for (let i = 0; i < steps; i++) {
    if (context.signal?.aborted) throw new ImageCancelledError(i, steps);
    const t = timesteps[i]!;
    const cheap = i < prepared.cheapSteps && prepared.unetCheap !== null;
    const unet = cheap ? prepared.unetCheap! : prepared.unetFull;
    const layout = cheap ? prepared.cheapLayout! : prepared.layout;
    const precision = cheap ? prepared.cheapPrecision! : prepared.fullPrecision;

    const inputs = group.map((image) => image.scheduler.scaleModelInput(image.latents, t));
    const predictions = await predictNoise(unet, layout, inputs, context, t, prepared.cfg, prepared.parameters.guidance);
    const x0s = group.map((image, member) => {
      const output = image.scheduler.step(predictions[member]!, t, image.latents, image.generator);
      image.latents = output.prevSample;
      return output.predOriginalSample;
    });
    const due = prepared.previewEvery > 0 && (i + 1) % prepared.previewEvery === 0 && i + 1 < steps;
    const wantsPreview = hooks.previews !== null && due && performance.now() - lastPreviewAt >= MIN_PREVIEW_INTERVAL_MS;
    if (wantsPreview) lastPreviewAt = performance.now();
    const previews = wantsPreview ? await hooks.previews!(x0s) : null;
    group.forEach((image, member) => hooks.onStep({ image: image.index, step: i + 1, steps, precision, preview: previews?.[member] ?? null }));
    context.peak.rss = Math.max(context.peak.rss, process.memoryUsage.rss());
  }
}

/** `count` copies of one prompt's states, one after another, for a batch. */
function repeatStates(states: Float32Array, count: number): Float32Array {
  const repeated = new Float32Array(states.length * count);
  for (let copy = 0; copy < count; copy++) repeated.set(states, copy * states.length);
  return repeated;
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const joined = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/** ε (or v, or x0) for each sample of the group, with classifier-free guidance: uncond + g (cond − uncond). */
async function predictNoise(
  unet: GraphSession,
  layout: UnetLayout,
  samples: readonly Float32Array[],
  context: GroupContext,
  t: number,
  cfg: ImageResult['cfg'],
  guidance: number,
): Promise<Float32Array[]> {
  const { shape, cond, uncond } = context;
  const run = async (batch: number, batchSamples: Float32Array, states: Float32Array) => {
    const timestepDims = layout.timestepShape === 'scalar' ? [] : layout.timestepShape === 'one' ? [1] : [batch];
    const timesteps = new Array<number>(layout.timestepShape === 'batch' ? batch : 1).fill(t);
    const outputs = await unet.run({
      sample: floatTensorFor(layout.sample, batchSamples, [batch, ...shape]),
      timestep: timestepTensorFor(layout.timestep, timesteps, timestepDims),
      encoder_hidden_states: floatTensorFor(layout.states, states, [batch, ...cond.dims.slice(1)]),
    });
    return floatData(outputs[layout.output]!, unet.displayName);
  };
  const count = samples.length;
  const size = samples[0]!.length;
  const joined = concat(samples);
  const split = (data: Float32Array) => samples.map((_, member) => data.subarray(member * size, (member + 1) * size));
  if (cfg === 'none' || uncond === null) return split(await run(count, joined, repeatStates(cond.states, count)));
  let uncondOut: Float32Array;
  let condOut: Float32Array;
  if (cfg === 'batched') {
    const both = await run(count * 2, concat([joined, joined]), concat([repeatStates(uncond.states, count), repeatStates(cond.states, count)]));
    uncondOut = both.subarray(0, joined.length);
    condOut = both.subarray(joined.length);
  } else {
    uncondOut = await run(count, joined, repeatStates(uncond.states, count));
    condOut = await run(count, joined, repeatStates(cond.states, count));
  }
  return split(Float32Array.from(uncondOut, (u, i) => u + guidance * (condOut[i]! - u)));
}
