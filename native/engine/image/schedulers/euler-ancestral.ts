import type { NoiseGenerator } from '../noise';
import { linspace, spacedTimesteps, type Scheduler, type SchedulerConfigInput, type SchedulerOutput } from './scheduler';
import { SigmaSpaceScheduler } from './sigma-space';

/**
 * Euler ancestral sampling in σ space (Karras et al. 2022, Algorithm 1 with the ancestral noise of
 * k-diffusion's `sample_euler_ancestral`), with diffusers' defaults: `linspace` spacing. The VP
 * model sees x/√(σ²+1); σ_t = √((1 − ᾱ_t)/ᾱ_t).
 */
export class EulerAncestralScheduler extends SigmaSpaceScheduler implements Scheduler {
  readonly name = 'euler-a' as const;

  constructor(input: SchedulerConfigInput = {}) {
    super('Euler ancestral', input);
  }

  get initNoiseSigma(): number {
    const max = Math.max(...this.sigmas);
    return this.config.timestepSpacing === 'leading' ? Math.sqrt(max * max + 1) : max;
  }

  /** `linspace` keeps the fractional timesteps (σ is interpolated between training steps); the others are diffusers' integer grids. */
  protected grid(steps: number): number[] {
    if (this.config.timestepSpacing === 'linspace') return linspace(0, this.config.numTrainTimesteps - 1, steps).reverse();
    return spacedTimesteps(this.config, steps);
  }

  /** The VP-trained model expects unit-variance input: x / √(σ² + 1). */
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    const sigma = this.sigmas[this.stepIndex(timestep)]!;
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    return Float32Array.from(sample, (x) => x * scale);
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, generator?: NoiseGenerator): SchedulerOutput {
    const index = this.stepIndex(timestep);
    const sigma = this.sigmas[index]!;
    const sigmaTo = this.sigmas[index + 1]!;
    const x0 = new Float32Array(sample.length);
    const c = 1 / (sigma * sigma + 1);
    for (let i = 0; i < sample.length; i++) {
      const m = modelOutput[i]!;
      const x = sample[i]!;
      // D(x; σ): ε → x − σ ε; v → −σ/√(σ²+1) v + x/(σ²+1); sample → the output itself
      if (this.config.predictionType === 'epsilon') x0[i] = x - sigma * m;
      else if (this.config.predictionType === 'v_prediction') x0[i] = m * (-sigma * Math.sqrt(c)) + x * c;
      else x0[i] = m;
    }
    // k-diffusion get_ancestral_step (η = 1): σ_up = √(σ_to²(σ² − σ_to²)/σ²), σ_down = √(σ_to² − σ_up²)
    const sigmaUp = Math.sqrt((sigmaTo * sigmaTo * (sigma * sigma - sigmaTo * sigmaTo)) / (sigma * sigma));
    const sigmaDown = Math.sqrt(sigmaTo * sigmaTo - sigmaUp * sigmaUp);
    const dt = sigmaDown - sigma;
    const noise = sigmaUp > 0 ? this.noise(generator, sample.length) : null;
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      // Algorithm 1, line 5: d = (x − D(x; σ))/σ; Euler step to σ_down, then fresh noise of std σ_up.
      const d = (sample[i]! - x0[i]!) / sigma;
      const stepped = sample[i]! + d * dt;
      prevSample[i] = noise ? stepped + noise[i]! * sigmaUp : stepped;
    }
    return { prevSample, predOriginalSample: x0 };
  }

  private noise(generator: NoiseGenerator | undefined, count: number): Float32Array {
    if (!generator) throw new Error('Euler ancestral adds fresh noise each step: pass a noise generator to step().');
    return generator.randn(count);
  }

  /** x_σ = x0 + σ n (the VE view of the same process). */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const sigma = this.sigmaAt(timestep);
    return Float32Array.from(original, (x, i) => x + sigma * noise[i]!);
  }
}
