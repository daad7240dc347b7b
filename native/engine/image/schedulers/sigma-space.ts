import { alphasCumprod, checkSteps, interpolate, resolveCommonConfig, stepIndexOf, type SchedulerConfig, type SchedulerConfigInput } from './scheduler';

/**
 * What the schedulers that step in σ space (Euler ancestral, DPM-Solver++) share: diffusers' `linspace`
 * spacing by default, the training noise levels σ_t = √((1 − ᾱ_t)/ᾱ_t), and after setTimesteps the σ at
 * each timestep with a final 0. Each scheduler gives its own timestep grid.
 */
export abstract class SigmaSpaceScheduler {
  readonly config: SchedulerConfig;
  /** σ at each training timestep 0..T−1. */
  protected readonly trainSigmas: Float64Array;
  timesteps: number[] = [];
  /** σ at each timestep, with a final 0. */
  sigmas: number[] = [];

  /** `label` names the scheduler in error messages. */
  constructor(
    private readonly label: string,
    input: SchedulerConfigInput,
  ) {
    this.config = resolveCommonConfig(input, { timestepSpacing: 'linspace' });
    this.trainSigmas = Float64Array.from(alphasCumprod(this.config), (a) => Math.sqrt((1 - a) / a));
  }

  /** The timesteps the model is called at for this many steps, highest noise first. */
  protected abstract grid(steps: number): number[];

  setTimesteps(steps: number): void {
    checkSteps(this.label, steps, this.config.numTrainTimesteps);
    this.timesteps = this.grid(steps);
    this.sigmas = [...this.timesteps.map((t) => this.sigmaAt(t)), 0];
  }

  /** σ at a (possibly fractional) training timestep, interpolated as np.interp does. */
  protected sigmaAt(timestep: number): number {
    return interpolate(timestep, this.trainSigmas);
  }

  protected stepIndex(timestep: number): number {
    return stepIndexOf(this.label, this.timesteps, timestep);
  }
}
