import { spacedTimesteps, type Scheduler, type SchedulerConfigInput, type SchedulerOutput } from './scheduler';
import { SigmaSpaceScheduler } from './sigma-space';

/** α_t = 1/√(σ²+1), σ_t = σ α_t and λ_t = log(α_t/σ_t), the half log-SNR DPM-Solver steps in. */
function vpOf(sigma: number): { alpha: number; sigma: number; lambda: number } {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  const sigmaT = sigma * alpha;
  return { alpha, sigma: sigmaT, lambda: Math.log(alpha) - Math.log(sigmaT) };
}

/**
 * DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of Diffusion
 * Probabilistic Models", Algorithm 2): a second-order multistep solver in data prediction, with
 * diffusers' defaults: `linspace` spacing, first-order first step, and a first-order final step to σ = 0.
 */
export class DpmSolverMultistepScheduler extends SigmaSpaceScheduler implements Scheduler {
  readonly name = 'dpm++2m' as const;
  readonly initNoiseSigma = 1;
  /** x0 predictions of the previous step, for the multistep update. */
  private previousX0: Float32Array | null = null;
  private previousIndex = -1;

  constructor(input: SchedulerConfigInput = {}) {
    super('DPM-Solver++', input);
  }

  /** `linspace` and `leading` space steps + 1 points and drop the last (t = 0); `trailing` spaces the steps themselves. */
  protected grid(steps: number): number[] {
    if (this.config.timestepSpacing === 'trailing') return spacedTimesteps(this.config, steps);
    return spacedTimesteps(this.config, steps + 1).slice(0, steps);
  }

  override setTimesteps(steps: number): void {
    super.setTimesteps(steps);
    this.previousX0 = null;
    this.previousIndex = -1;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): SchedulerOutput {
    const index = this.stepIndex(timestep);
    const s0 = vpOf(this.sigmas[index]!);
    const t = vpOf(this.sigmas[index + 1]!);
    // Data prediction x_θ (the "++"): ε → (x − σ_t ε)/α_t; v → α_t x − σ_t v; sample → itself.
    const x0 = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const m = modelOutput[i]!;
      const x = sample[i]!;
      if (this.config.predictionType === 'epsilon') x0[i] = (x - s0.sigma * m) / s0.alpha;
      else if (this.config.predictionType === 'v_prediction') x0[i] = s0.alpha * x - s0.sigma * m;
      else x0[i] = m;
    }
    const h = t.lambda - s0.lambda;
    const expm1 = Math.exp(-h) - 1;
    const ratio = t.sigma / s0.sigma;
    const previous = this.previousIndex === index - 1 ? this.previousX0 : null;
    const last = index === this.timesteps.length - 1;
    const prevSample = new Float32Array(sample.length);
    if (previous === null || last) {
      // First order (Algorithm 2, i = 1; and the final step to σ = 0): x_t = (σ_t/σ_s) x_s − α_t (e^{−h} − 1) x_θ
      for (let i = 0; i < sample.length; i++) prevSample[i] = ratio * sample[i]! - t.alpha * expm1 * x0[i]!;
    } else {
      // Algorithm 2, i ≥ 2: r = h_{i−1}/h_i; D = (1 + 1/(2r)) x_θ(i) − 1/(2r) x_θ(i−1), written as D0 + ½ D1
      const s1 = vpOf(this.sigmas[index - 1]!);
      const r0 = (s0.lambda - s1.lambda) / h;
      for (let i = 0; i < sample.length; i++) {
        const d0 = x0[i]!;
        const d1 = (x0[i]! - previous[i]!) / r0;
        prevSample[i] = ratio * sample[i]! - t.alpha * expm1 * d0 - 0.5 * t.alpha * expm1 * d1;
      }
    }
    this.previousX0 = x0;
    this.previousIndex = index;
    return { prevSample, predOriginalSample: x0 };
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const { alpha, sigma } = vpOf(this.sigmaAt(timestep));
    return Float32Array.from(original, (x, i) => alpha * x + sigma * noise[i]!);
  }
}
