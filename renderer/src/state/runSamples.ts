import type { RunMetrics } from '../../../native/contract';

/** One reading of a running text job's meter, from its `metrics` events. */
export interface RunSample {
  elapsedMs: number;
  tokens: number;
  tokensPerSecond: number | null;
  peakRssMb: number;
  /** Cumulative joules since the job started; null while no energy meter reports. */
  energyJ: number | null;
}

/** One reading of a running job's energy meter, from its `energy` events. */
export interface EnergyReading {
  elapsedMs: number;
  /** Cumulative since the job started. */
  joules: number;
  watts: number | null;
}

export const MAX_SAMPLES = 240;

/** A long run halves its resolution instead of dropping its start, so the charts keep covering the whole run. */
function bounded<T>(next: T[]): T[] {
  return next.length > MAX_SAMPLES ? next.filter((_, index) => (next.length - 1 - index) % 2 === 0) : next;
}

export function withSample(samples: readonly RunSample[], metrics: RunMetrics): RunSample[] {
  const last = samples.at(-1);
  if (last && last.tokens === metrics.generatedTokens && last.elapsedMs === metrics.totalMs) return samples as RunSample[];
  return bounded([...samples, { elapsedMs: metrics.totalMs, tokens: metrics.generatedTokens, tokensPerSecond: metrics.tokensPerSecond, peakRssMb: metrics.peakRssMb, energyJ: metrics.energyJ }]);
}

export function withEnergyReading(readings: readonly EnergyReading[], reading: EnergyReading): EnergyReading[] {
  return bounded([...readings, { elapsedMs: reading.elapsedMs, joules: reading.joules, watts: reading.watts }]);
}

/** [seconds since the start, value] pairs, the form the charts take. */
export type Point = [number, number];

export interface RunSeries {
  /** Milliseconds per token between two readings: what each stretch of the run cost, not the running mean. */
  msPerToken: Point[];
  tokensPerSecond: Point[];
  peakRssMb: Point[];
  joules: Point[];
  watts: Point[];
}

const seconds = (sample: RunSample) => sample.elapsedMs / 1000;

/** The charts' series; power and energy come from the meter's own readings where it sent any, else from the metrics. */
export function runSeries(samples: readonly RunSample[], energy: readonly EnergyReading[] = []): RunSeries {
  const series: RunSeries = { msPerToken: [], tokensPerSecond: [], peakRssMb: [], joules: [], watts: [] };
  samples.forEach((sample, index) => {
    const previous = samples[index - 1];
    series.peakRssMb.push([seconds(sample), sample.peakRssMb]);
    if (sample.tokensPerSecond !== null) series.tokensPerSecond.push([seconds(sample), sample.tokensPerSecond]);
    if (previous && sample.tokens > previous.tokens) series.msPerToken.push([seconds(sample), (sample.elapsedMs - previous.elapsedMs) / (sample.tokens - previous.tokens)]);
    if (sample.energyJ === null || energy.length > 0) return;
    series.joules.push([seconds(sample), sample.energyJ]);
    if (previous?.energyJ != null && sample.elapsedMs > previous.elapsedMs) series.watts.push([seconds(sample), ((sample.energyJ - previous.energyJ) * 1000) / (sample.elapsedMs - previous.elapsedMs)]);
  });
  for (const reading of energy) {
    series.joules.push([reading.elapsedMs / 1000, reading.joules]);
    if (reading.watts !== null) series.watts.push([reading.elapsedMs / 1000, reading.watts]);
  }
  return series;
}
