import { describe, expect, it } from 'vitest';
import type { EnergyAssumptions, EnergyEvent } from '../../native/contract';
import { describeEnergy, formatJoules, formatJoulesPerOutput } from './format';
import { applyImageJobEvent, routeJobEvent } from './state/imageJobState';
import { applyJobEvent, initialJobState } from './state/jobState';

const assumptions: EnergyAssumptions = {
  formula: 'energy ≈ process CPU seconds × watts per busy core',
  cpuModel: 'AMD EPYC',
  cpuClass: 'AMD EPYC (server)',
  tdpWatts: 225,
  cores: 64,
  wattsPerCore: 225 / 64,
  lowFactor: 0.5,
  highFactor: 1.5,
  excludes: 'idle and base power',
};

const reading = (joules: number): EnergyEvent => ({ type: 'energy', jobId: 'j', joules, watts: 4.2, source: 'estimated:cpu-time×tdp', estimated: true, elapsedMs: 250 });

describe('energy in the UI', () => {
  it('keeps the latest live reading of a text job and of an image job', () => {
    const text = [reading(0.1), reading(0.25)].reduce(applyJobEvent, { ...initialJobState, status: 'running' as const });
    expect(text.energy).toMatchObject({ joules: 0.25, watts: 4.2 });
    expect(routeJobEvent(reading(1), true)).toEqual({ store: 'image', event: reading(1) });
    expect(routeJobEvent(reading(1), false).store).toBe('text');
    expect(applyImageJobEvent(undefined, reading(0.5)).energy?.joules).toBe(0.5);
  });

  it('formats joules and joules per output for a reader', () => {
    expect([formatJoules(0.1234), formatJoules(2.416), formatJoules(153.4)]).toEqual(['0.123', '2.42', '153']);
    expect(formatJoulesPerOutput(0.00222)).toEqual({ value: '2.22', unit: 'mJ' });
    expect(formatJoulesPerOutput(0.0481)).toEqual({ value: '48.1', unit: 'mJ' });
    expect(formatJoulesPerOutput(1.35)).toEqual({ value: '1.35', unit: 'J' });
  });

  it('never presents an estimate as a measurement, and shows the formula, assumptions and range', () => {
    const estimated = describeEnergy('estimated:cpu-time×tdp', true, { low: 0.07, high: 0.2 }, assumptions);
    expect(estimated).toMatch(/^Estimated, not measured/);
    expect(estimated).toContain('3.52 W per core (AMD EPYC (server): 225 W TDP / 64 cores; this CPU: AMD EPYC)');
    expect(estimated).toContain('Likely range 0.070–0.200 J (×0.5–×1.5)');
    expect(describeEnergy('rapl:package-0', false, null, assumptions)).toMatch(/^Measured by rapl:package-0/);
    expect(describeEnergy(null, false, null, assumptions)).toBe('No energy reading yet.');
  });
});
