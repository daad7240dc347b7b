import type { NoiseGenerator } from '../noise';
import {
  addNoiseVp,
  alphasCumprod,
  checkSteps,
  predictOriginal,
  resolveCommonConfig,
  spacedTimesteps,
  stepIndexOf,
  type Scheduler,
  type SchedulerConfig,
  type SchedulerConfigInput,
  type SchedulerOutput,
} from './scheduler';

export interface DdimConfig extends SchedulerConfig {
  setAlphaToOne: boolean;
  clipSample: boolean;
  clipSampleRange: number;
  /** η of eq. (16): 0 is the deterministic DDIM sampler, 1 is DDPM-like ancestral sampling. */
  eta: number;
}

/**
 * DDIM (Song, Meng & Ermon 2021, "Denoising Diffusion Implicit Models"), with diffusers'
 * defaults: linear β, `leading` spacing, set_alpha_to_one and clip_sample on.
 */
export class DdimScheduler implements Scheduler {
  readonly name = 'ddim' as const;
  readonly config: DdimConfig;
  readonly initNoiseSigma = 1;
  private readonly alphasCumprod: Float64Array;
  /** ᾱ used for the step past t = 0: 1 (a clean sample) or ᾱ_0. */
  private readonly finalAlphaCumprod: number;
  private steps = 0;
  timesteps: number[] = [];

  constructor(input: SchedulerConfigInput = {}, eta = 0) {
    this.config = {
      ...resolveCommonConfig(input, { timestepSpacing: 'leading' }),
      setAlphaToOne: input.set_alpha_to_one ?? true,
      clipSample: input.clip_sample ?? true,
      clipSampleRange: input.clip_sample_range ?? 1,
      eta,
    };
    this.alphasCumprod = alphasCumprod(this.config);
    this.finalAlphaCumprod = this.config.setAlphaToOne ? 1 : this.alphasCumprod[0]!;
  }

  setTimesteps(steps: number): void {
    checkSteps('DDIM', steps, this.config.numTrainTimesteps);
    this.steps = steps;
    this.timesteps = spacedTimesteps(this.config, steps);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, generator?: NoiseGenerator): SchedulerOutput {
    stepIndexOf('DDIM', this.timesteps, timestep);
    const { eta, clipSample, clipSampleRange, predictionType, numTrainTimesteps } = this.config;
    // 1. the previous timestep t − T/S
    const prevTimestep = timestep - Math.floor(numTrainTimesteps / this.steps);
    // 2. ᾱ_t and ᾱ_{t−1} (the paper's α_t is diffusers' ᾱ_t)
    const alphaProd = this.alphasCumprod[timestep]!;
    const alphaProdPrev = prevTimestep >= 0 ? this.alphasCumprod[prevTimestep]! : this.finalAlphaCumprod;
    // 3. "predicted x0" of eq. (12): (x_t − √(1−α_t) ε_θ(x_t)) / √α_t, and ε, for the model's prediction type
    const { x0, eps } = predictOriginal(predictionType, modelOutput, sample, alphaProd);
    // 4. clip x0 to the data range (diffusers' clip_sample)
    if (clipSample) for (let i = 0; i < x0.length; i++) x0[i] = Math.min(clipSampleRange, Math.max(-clipSampleRange, x0[i]!));
    // 5. eq. (16): σ_t(η)² = (1 − α_{t−1})/(1 − α_t) · (1 − α_t/α_{t−1})
    const variance = ((1 - alphaProdPrev) / (1 - alphaProd)) * (1 - alphaProd / alphaProdPrev);
    const std = eta * Math.sqrt(variance);
    // 6. eq. (12): x_{t−1} = √α_{t−1} x0 + √(1 − α_{t−1} − σ_t²) ε_θ(x_t) + σ_t ε_t
    const direction = Math.sqrt(1 - alphaProdPrev - std * std);
    const scale = Math.sqrt(alphaProdPrev);
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) prevSample[i] = scale * x0[i]! + direction * eps[i]!;
    if (eta > 0) {
      if (!generator) throw new Error('DDIM with eta > 0 needs a noise generator.');
      const noise = generator.randn(sample.length);
      for (let i = 0; i < sample.length; i++) prevSample[i] = prevSample[i]! + std * noise[i]!;
    }
    return { prevSample, predOriginalSample: x0 };
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addNoiseVp(original, noise, this.alphasCumprod[timestep]!);
  }
}
