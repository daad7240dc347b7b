import { describe, expect, it } from 'vitest';
import type { RunMetrics } from '../../../native/contract';
import { MAX_SAMPLES, runSeries, withEnergyReading, withSample, type EnergyReading, type RunSample } from './runSamples';

const metrics = (totalMs: number, generatedTokens: number, energyJ: number | null = null): RunMetrics => ({
  ttftMs: 5,
  msPerToken: 2,
  tokensPerSecond: generatedTokens / (totalMs / 1000),
  totalMs,
  promptTokens: 1,
  generatedTokens,
  peakRssMb: 100 + generatedTokens,
  energyJ,
  energySource: energyJ === null ? null : 'rapl:package-0',
  energyJRange: null,
  meanWatts: null,
  joulesPerOutput: null,
  precisionShare: null,
});

describe('run samples', () => {
  it('turns readings into per-stretch ms/token, tokens/s, memory, and joules with the watts between them', () => {
    const samples = [metrics(100, 10, 1), metrics(200, 30, 3), metrics(400, 40, 4)].reduce<RunSample[]>(withSample, []);
    const series = runSeries(samples);
    expect(series.msPerToken).toEqual([[0.2, 5], [0.4, 20]]);
    expect(series.tokensPerSecond).toEqual([[0.1, 100], [0.2, 150], [0.4, 100]]);
    expect(series.peakRssMb.map(([, mb]) => mb)).toEqual([110, 130, 140]);
    expect(series.joules).toEqual([[0.1, 1], [0.2, 3], [0.4, 4]]);
    expect(series.watts).toEqual([[0.2, 20], [0.4, 5]]);
  });

  it('charts no energy while no meter reports, and skips a repeated reading', () => {
    const samples = [metrics(100, 10), metrics(100, 10), metrics(200, 20)].reduce<RunSample[]>(withSample, []);
    expect(samples).toHaveLength(2);
    expect(runSeries(samples)).toMatchObject({ joules: [], watts: [] });
  });

  it('charts power and energy from the live readings of the meter where it sent any, not from the metrics', () => {
    const samples = [metrics(100, 10, 9), metrics(200, 20, 9)].reduce<RunSample[]>(withSample, []);
    const readings = [{ elapsedMs: 100, joules: 0.5, watts: 5 }, { elapsedMs: 200, joules: 1.2, watts: null }].reduce<EnergyReading[]>(withEnergyReading, []);
    expect(runSeries(samples, readings)).toMatchObject({ joules: [[0.1, 0.5], [0.2, 1.2]], watts: [[0.1, 5]] });
  });

  it('halves a long run instead of growing without bound, keeping its start and its latest reading', () => {
    let samples: RunSample[] = [];
    for (let i = 1; i <= MAX_SAMPLES + 1; i++) samples = withSample(samples, metrics(i * 10, i));
    expect(samples.length).toBe(MAX_SAMPLES / 2 + 1);
    expect(samples[0]!.tokens).toBe(1);
    expect(samples.at(-1)!.tokens).toBe(MAX_SAMPLES + 1);
  });
});
