import { z } from 'zod';
import { ApiError } from '../../../contract';
import type { NoiseGenerator } from '../noise';
import type { ImageScheduler } from '../../../contract';

/** The keys of a diffusers `scheduler_config.json` the schedulers read; each class fills in its own defaults. */
export const SchedulerConfigJson = z.looseObject({
  _class_name: z.string().optional(),
  num_train_timesteps: z.number().int().positive().max(100_000).optional(),
  beta_start: z.number().positive().max(1).optional(),
  beta_end: z.number().positive().max(1).optional(),
  beta_schedule: z.enum(['linear', 'scaled_linear', 'squaredcos_cap_v2']).optional(),
  trained_betas: z.array(z.number()).nullish(),
  prediction_type: z.enum(['epsilon', 'v_prediction', 'sample']).optional(),
  timestep_spacing: z.enum(['leading', 'trailing', 'linspace']).optional(),
  steps_offset: z.number().int().min(0).max(1000).optional(),
  set_alpha_to_one: z.boolean().optional(),
  clip_sample: z.boolean().optional(),
  clip_sample_range: z.number().positive().optional(),
  original_inference_steps: z.number().int().positive().optional(),
  timestep_scaling: z.number().positive().optional(),
});
export type SchedulerConfigInput = z.infer<typeof SchedulerConfigJson>;

export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

/** A scheduler's config with every default filled in. */
export interface SchedulerConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
  trainedBetas: number[] | null;
  predictionType: PredictionType;
  timestepSpacing: 'leading' | 'trailing' | 'linspace';
  stepsOffset: number;
}

export interface SchedulerOutput {
  prevSample: Float32Array;
  /** The model's estimate of the clean sample x0 at this step (the preview shows it). */
  predOriginalSample: Float32Array;
}

/**
 * A diffusion scheduler, diffusers style: its config plus its timesteps. Any scheduler drops into the
 * pipeline: it scales the model input, steps from one noise level to the next, and adds noise.
 */
export interface Scheduler {
  readonly name: SchedulerName;
  /** The timesteps the model is called at, highest noise first; set by setTimesteps. */
  readonly timesteps: readonly number[];
  /** The standard deviation of the initial noise the first step expects. */
  readonly initNoiseSigma: number;
  setTimesteps(steps: number): void;
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, generator?: NoiseGenerator): SchedulerOutput;
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;
}

export type SchedulerName = ImageScheduler;

/** The common config, with one scheduler class's defaults where the file says nothing. */
export function resolveCommonConfig(input: SchedulerConfigInput, defaults: Partial<SchedulerConfig> = {}): SchedulerConfig {
  return {
    numTrainTimesteps: input.num_train_timesteps ?? defaults.numTrainTimesteps ?? 1000,
    betaStart: input.beta_start ?? defaults.betaStart ?? 0.0001,
    betaEnd: input.beta_end ?? defaults.betaEnd ?? 0.02,
    betaSchedule: input.beta_schedule ?? defaults.betaSchedule ?? 'linear',
    trainedBetas: input.trained_betas ?? null,
    predictionType: input.prediction_type ?? defaults.predictionType ?? 'epsilon',
    timestepSpacing: input.timestep_spacing ?? defaults.timestepSpacing ?? 'leading',
    stepsOffset: input.steps_offset ?? defaults.stepsOffset ?? 0,
  };
}

export function linspace(start: number, end: number, count: number): number[] {
  // As numpy computes it (i · step + start), so grids that land on .5 round the same way.
  if (count === 1) return [start];
  const step = (end - start) / (count - 1);
  return Array.from({ length: count }, (_, i) => i * step + start);
}

/** β_t for t = 0..T-1. */
export function betaSchedule(config: SchedulerConfig): Float64Array {
  const n = config.numTrainTimesteps;
  if (config.trainedBetas) {
    if (config.trainedBetas.length !== n) throw new ApiError('invalid_model', `scheduler/scheduler_config.json: trained_betas has ${config.trainedBetas.length} values but num_train_timesteps is ${n}.`);
    return Float64Array.from(config.trainedBetas);
  }
  switch (config.betaSchedule) {
    case 'linear':
      return Float64Array.from(linspace(config.betaStart, config.betaEnd, n));
    case 'scaled_linear':
      // Stable Diffusion's schedule: linear in sqrt(β).
      return Float64Array.from(linspace(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), n), (b) => b * b);
    case 'squaredcos_cap_v2': {
      // Nichol & Dhariwal 2021, eq. (17): ᾱ(t) = cos²(((t/T) + s)/(1 + s) · π/2), s = 0.008; β capped at 0.999.
      const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
      return Float64Array.from({ length: n }, (_, i) => Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999));
    }
  }
}

/** ᾱ_t = Π_{s≤t} (1 − β_s). */
export function alphasCumprod(config: SchedulerConfig): Float64Array {
  const betas = betaSchedule(config);
  const out = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) out[i] = product *= 1 - betas[i]!;
  return out;
}

/** np.interp over integer abscissae 0..len-1. */
export function interpolate(x: number, values: Float64Array): number {
  if (x <= 0) return values[0]!;
  if (x >= values.length - 1) return values[values.length - 1]!;
  const i = Math.floor(x);
  const f = x - i;
  return values[i]! * (1 - f) + values[i + 1]! * f;
}

/** Rounds half to even, as numpy's round does (the timestep grids depend on it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** diffusers' DDIM/LCM-style grid: `leading`, `trailing` or `linspace` spacing over T training steps, highest first. */
export function spacedTimesteps(config: SchedulerConfig, steps: number): number[] {
  const n = config.numTrainTimesteps;
  switch (config.timestepSpacing) {
    case 'leading': {
      const ratio = Math.floor(n / steps);
      return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + config.stepsOffset);
    }
    case 'trailing': {
      const ratio = n / steps;
      return Array.from({ length: steps }, (_, i) => roundHalfEven(n - i * ratio) - 1);
    }
    case 'linspace':
      return linspace(0, n - 1, steps).map(roundHalfEven).reverse();
  }
}

export function checkSteps(name: string, steps: number, max: number): void {
  if (!Number.isInteger(steps) || steps < 1) throw new ApiError('bad_request', `${name}: the step count must be a positive integer, got ${steps}.`);
  if (steps > max) throw new ApiError('bad_request', `${name}: ${steps} steps is more than the ${max} timesteps the model was trained with.`);
}

/**
 * x0 and ε from the model output at ᾱ_t, for each prediction type:
 * ε: x0 = (x − √(1−ᾱ) ε)/√ᾱ (DDPM eq. 15); v: x0 = √ᾱ x − √(1−ᾱ) v, ε = √ᾱ v + √(1−ᾱ) x (Salimans & Ho 2022, §4).
 */
export function predictOriginal(type: PredictionType, output: Float32Array, sample: Float32Array, alphaProd: number): { x0: Float32Array; eps: Float32Array } {
  const a = Math.sqrt(alphaProd);
  const b = Math.sqrt(1 - alphaProd);
  const x0 = new Float32Array(sample.length);
  const eps = new Float32Array(sample.length);
  for (let i = 0; i < sample.length; i++) {
    const x = sample[i]!;
    const m = output[i]!;
    if (type === 'epsilon') {
      x0[i] = (x - b * m) / a;
      eps[i] = m;
    } else if (type === 'v_prediction') {
      x0[i] = a * x - b * m;
      eps[i] = a * m + b * x;
    } else {
      x0[i] = m;
      eps[i] = (x - a * m) / b;
    }
  }
  return { x0, eps };
}

/** q(x_t | x_0) = N(√ᾱ_t x0, (1 − ᾱ_t) I): DDPM eq. (4). */
export function addNoiseVp(original: Float32Array, noise: Float32Array, alphaProd: number): Float32Array {
  const a = Math.sqrt(alphaProd);
  const b = Math.sqrt(1 - alphaProd);
  return Float32Array.from(original, (x, i) => a * x + b * noise[i]!);
}

/** The index of a timestep in a schedule; fails early, with the fix in the message. */
export function stepIndexOf(name: string, timesteps: readonly number[], timestep: number): number {
  if (timesteps.length === 0) throw new Error(`${name}: call setTimesteps(steps) before step().`);
  const index = timesteps.indexOf(timestep);
  if (index < 0) throw new Error(`${name}: timestep ${timestep} is not in the schedule ${timesteps.join(', ')}.`);
  return index;
}
