import type { NoiseGenerator } from '../noise';
import {
  addNoiseVp,
  alphasCumprod,
  checkSteps,
  predictOriginal,
  resolveCommonConfig,
  stepIndexOf,
  type Scheduler,
  type SchedulerConfig,
  type SchedulerConfigInput,
  type SchedulerOutput,
} from './scheduler';

export interface LcmConfig extends SchedulerConfig {
  originalInferenceSteps: number;
  setAlphaToOne: boolean;
  clipSample: boolean;
  clipSampleRange: number;
  timestepScaling: number;
}

/** σ_data of the consistency-model boundary condition. */
const SIGMA_DATA = 0.5;

/**
 * Multistep latent-consistency sampling (Luo et al. 2023, "Latent Consistency Models",
 * Algorithm 3), with diffusers' defaults: SD's scaled_linear β, a skipping-step grid over
 * 50 original steps, and timestep_scaling 10 in the boundary-condition scalings.
 */
export class LcmScheduler implements Scheduler {
  readonly name = 'lcm' as const;
  readonly config: LcmConfig;
  readonly initNoiseSigma = 1;
  private readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  timesteps: number[] = [];

  constructor(input: SchedulerConfigInput = {}) {
    this.config = {
      ...resolveCommonConfig(input, { betaStart: 0.00085, betaEnd: 0.012, betaSchedule: 'scaled_linear', timestepSpacing: 'leading' }),
      originalInferenceSteps: input.original_inference_steps ?? 50,
      setAlphaToOne: input.set_alpha_to_one ?? true,
      clipSample: input.clip_sample ?? false,
      clipSampleRange: input.clip_sample_range ?? 1,
      timestepScaling: input.timestep_scaling ?? 10,
    };
    this.alphasCumprod = alphasCumprod(this.config);
    this.finalAlphaCumprod = this.config.setAlphaToOne ? 1 : this.alphasCumprod[0]!;
  }

  /** The skipping-step grid: every k-th of the original schedule's timesteps (k = T / original steps), then S of them evenly. */
  setTimesteps(steps: number): void {
    const original = this.config.originalInferenceSteps;
    checkSteps('LCM', steps, original);
    const k = Math.floor(this.config.numTrainTimesteps / original);
    const origin = Array.from({ length: original }, (_, i) => (original - i) * k - 1);
    this.timesteps = Array.from({ length: steps }, (_, i) => origin[Math.floor((i * origin.length) / steps)]!);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, generator?: NoiseGenerator): SchedulerOutput {
    const index = stepIndexOf('LCM', this.timesteps, timestep);
    const last = index === this.timesteps.length - 1;
    const prevTimestep = last ? timestep : this.timesteps[index + 1]!;
    const alphaProd = this.alphasCumprod[timestep]!;
    const alphaProdPrev = prevTimestep >= 0 ? this.alphasCumprod[prevTimestep]! : this.finalAlphaCumprod;
    // eq. (9)-(10): c_skip(t) = σ_d²/(t'² + σ_d²), c_out(t) = t'/√(t'² + σ_d²), with t' = t · timestep_scaling
    const scaled = timestep * this.config.timestepScaling;
    const cSkip = (SIGMA_DATA * SIGMA_DATA) / (scaled * scaled + SIGMA_DATA * SIGMA_DATA);
    const cOut = scaled / Math.sqrt(scaled * scaled + SIGMA_DATA * SIGMA_DATA);
    const { x0 } = predictOriginal(this.config.predictionType, modelOutput, sample, alphaProd);
    const range = this.config.clipSampleRange;
    if (this.config.clipSample) for (let i = 0; i < x0.length; i++) x0[i] = Math.min(range, Math.max(-range, x0[i]!));
    // eq. (11): f_θ(x, t) = c_skip(t) x + c_out(t) x̂0
    const denoised = Float32Array.from(x0, (value, i) => cOut * value + cSkip * sample[i]!);
    if (last) return { prevSample: denoised, predOriginalSample: denoised };
    // Algorithm 3: x_{τ_{n−1}} = √ᾱ_{τ_{n−1}} f_θ + √(1 − ᾱ_{τ_{n−1}}) z
    if (!generator) throw new Error('LCM adds fresh noise between steps: pass a noise generator to step().');
    return { prevSample: addNoiseVp(denoised, generator.randn(sample.length), alphaProdPrev), predOriginalSample: denoised };
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addNoiseVp(original, noise, this.alphasCumprod[timestep]!);
  }
}
