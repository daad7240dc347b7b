import { describe, expect, it } from 'vitest';
import { NoiseGenerator } from './noise';

describe('NoiseGenerator', () => {
  it('draws fixed values for a seed, the same on every machine', () => {
    // mulberry32 + Box-Muller (float64), rounded to float32; scripts/scheduler_reference.py draws the same.
    expect(Array.from(new NoiseGenerator(1).randn(4))).toEqual([1.4043388366699219, 1.2157546281814575, -0.5103768706321716, -0.25181832909584045]);
    expect(Buffer.from(new NoiseGenerator(1).randn(4).buffer).toString('hex')).toBe(EXPECTED_SEED_1_HEX);
    expect(Array.from(new NoiseGenerator(42).randn(3), (v) => Number(v.toFixed(6)))).toEqual([-1.284838, -0.945353, -0.61128]);
  });

  it('gives identical bytes for the same seed and different ones for another', () => {
    const a = new NoiseGenerator(123).randn(1000);
    const b = new NoiseGenerator(123).randn(1000);
    const c = new NoiseGenerator(124).randn(1000);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });

  it('is standard normal', () => {
    const values = new NoiseGenerator(7).randn(20_000);
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });
});

const EXPECTED_SEED_1_HEX = '60c1b33fd99d9b3f0fa802bf55ee80be';
