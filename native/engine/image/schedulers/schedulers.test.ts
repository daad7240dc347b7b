import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NoiseGenerator } from '../noise';
import { createScheduler, type SchedulerConfigInput, type SchedulerName } from './index';

interface ReferenceCase {
  scheduler: SchedulerName;
  config: SchedulerConfigInput;
  steps: number;
  timesteps: number[];
  initNoiseSigma: number;
  firstPredOriginal: number[];
  final: number[];
}
interface Reference {
  size: number;
  seed: number;
  noise: { seed: number; first: number[] };
  cases: ReferenceCase[];
}

// Written by scripts/scheduler_reference.py (numpy, from the papers' formulas).
const reference: Reference = JSON.parse(fs.readFileSync(path.join(__dirname, 'reference-values.json'), 'utf8'));

/** The fake model of the reference loop: ε = 0.1 x + 0.05 t/1000. */
const fakeModel = (x: Float32Array, t: number) => Float32Array.from(x, (v) => 0.1 * v + (0.05 * t) / 1000);

function expectClose(actual: ArrayLike<number>, expected: number[], relative = 1e-5) {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1, ...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) {
    const tolerance = relative * Math.max(Math.abs(expected[i]!), 1e-3 * scale);
    if (Math.abs(actual[i]! - expected[i]!) > tolerance) {
      throw new Error(`index ${i}: ${actual[i]} differs from the reference ${expected[i]} by more than ${tolerance}`);
    }
  }
}

describe('schedulers against scripts/scheduler_reference.py', () => {
  it('the portable noise generator draws the reference values', () => {
    expectClose(new NoiseGenerator(reference.noise.seed).randn(reference.noise.first.length), reference.noise.first, 1e-7);
  });

  for (const testCase of reference.cases) {
    it(`${testCase.scheduler} ${JSON.stringify(testCase.config)} at ${testCase.steps} steps`, () => {
      const scheduler = createScheduler(testCase.scheduler, testCase.config);
      scheduler.setTimesteps(testCase.steps);
      expectClose(scheduler.timesteps, testCase.timesteps, 1e-9);
      expect(scheduler.initNoiseSigma).toBeCloseTo(testCase.initNoiseSigma, 9);

      const generator = new NoiseGenerator(reference.seed);
      let sample: Float32Array = Float32Array.from(generator.randn(reference.size), (v) => v * scheduler.initNoiseSigma);
      let first: Float32Array | null = null;
      for (const t of scheduler.timesteps) {
        const output = scheduler.step(fakeModel(scheduler.scaleModelInput(sample, t), t), t, sample, generator);
        first ??= output.predOriginalSample;
        sample = output.prevSample;
      }
      expectClose(first!, testCase.firstPredOriginal);
      expectClose(sample, testCase.final);
    });
  }

  it('fails early with the fix in the message', () => {
    const scheduler = createScheduler('ddim', {});
    expect(() => scheduler.step(new Float32Array(1), 0, new Float32Array(1))).toThrow(/call setTimesteps/);
    expect(() => createScheduler('lcm', {}).setTimesteps(51)).toThrow(/more than the 50/);
    scheduler.setTimesteps(4);
    expect(() => scheduler.step(new Float32Array(1), 3, new Float32Array(1))).toThrow(/not in the schedule/);
  });

  it('addNoise follows q(x_t | x_0)', () => {
    const scheduler = createScheduler('ddim', { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });
    const noisy = scheduler.addNoise(Float32Array.of(1), Float32Array.of(1), 999);
    expect(noisy[0]).toBeGreaterThan(1);
    expect(scheduler.addNoise(Float32Array.of(2), Float32Array.of(0), 0)[0]).toBeCloseTo(2 * Math.sqrt(1 - 0.00085), 6);
  });
});
