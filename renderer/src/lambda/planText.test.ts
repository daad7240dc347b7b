import { describe, expect, it } from 'vitest';
import type { PlanPoint, PlanPreview } from '../../../native/contract';
import { activePreset, comparePrediction, describeChoiceChange, formatPlanPoint } from './planText';

const point = (id: string, quality: number, cost: number, lambdaRange: PlanPoint['lambdaRange']): PlanPoint => {
  const [model, precision, depth] = id.split(':') as [string, string, string];
  return { id, model, precision, depth: Number(depth), steps: null, quality, bitsPerByte: 1.2, frechetDistance: null, cost: { median: cost, low: cost * 0.9, high: cost * 1.1 }, utility: 0.9, efficiency: 1, onFront: true, chosen: false, lambdaRange };
};
const cheap = point('student:int8:2', 0.95, 0.5, { from: 0, to: 0.73 });
const good = point('teacher:fp32:8', 1, 2, { from: 0.73, to: 1 });
const calibration = { state: 'calibrated' as const, calibratedAt: '2026-12-01T22:00:00Z', device: 'cpu', runs: 0, message: null, changes: [] };
const preview = (lambda: number, chosen: PlanPoint, patch: Partial<PlanPreview> = {}): PlanPreview => ({ kind: 'text', family: 'f', lambda, unit: 'ms/token', points: [cheap, good], chosen: chosen.id, calibration, note: null, ...patch });

describe('the preview in words', () => {
  it('names the point, its quality and its predicted cost with spread', () => {
    expect(formatPlanPoint(cheap, 'ms/token')).toBe('student · int8 · 2 layers · 1.20 bits/byte · 0.50 ms/token (0.45–0.55)');
    expect(formatPlanPoint({ ...cheap, cost: null }, 'ms/token')).toBe('student · int8 · 2 layers · 1.20 bits/byte');
  });

  it('says why the choice changed when λ crossed a boundary, either way, and nothing when it did not', () => {
    const before = { lambda: 0.5, chosen: cheap, calibratedAt: calibration.calibratedAt };
    expect(describeChoiceChange(before, preview(0.8, good))).toBe('λ moved past 0.73: teacher · fp32 · 8 layers gives 5.3% more quality for 4.00× the cost.');
    expect(describeChoiceChange({ ...before, lambda: 0.9, chosen: good }, preview(0.2, cheap))).toBe('λ moved past 0.73: student · int8 · 2 layers gives 5.0% less quality for 75% less cost.');
    expect(describeChoiceChange(before, preview(0.6, cheap))).toBeNull();
    expect(describeChoiceChange(null, preview(0.6, cheap))).toBeNull();
  });

  it('says a recalibration moved the choice, with what changed beyond the noise', () => {
    const before = { lambda: 0.8, chosen: cheap, calibratedAt: '2026-12-01T21:00:00Z' };
    const after = preview(0.8, good, { calibration: { ...calibration, changes: ['student int8 depth 2 now costs 1.40×'] } });
    expect(describeChoiceChange(before, after)).toBe('Recalibrated: student int8 depth 2 now costs 1.40× — λ 0.80 now runs teacher · fp32 · 8 layers.');
  });

  it('compares a measured run with its prediction', () => {
    expect(comparePrediction({ median: 1, low: 0.9, high: 1.2 }, 1.1, 'ms/token')).toEqual({ within: true, text: 'Measured 1.10 ms/token, predicted 1.00 ms/token (0.90–1.20): within the spread' });
    expect(comparePrediction({ median: 1, low: 0.9, high: 1.2 }, 2, 'ms/token').text).toMatch(/slower than predicted$/);
    expect(comparePrediction({ median: 0.05, low: 0.04, high: 0.06 }, 0.01, 's/image').text).toMatch(/^Measured 0.010 s\/image, predicted 0.050 s\/image \(0.040–0.060\): faster than predicted$/);
  });

  it('finds the preset the slider sits on', () => {
    const presets = [{ name: 'Quality', lambda: 0.9 }, { name: 'Balanced', lambda: 0.5 }];
    expect(activePreset(presets, 0.5)?.name).toBe('Balanced');
    expect(activePreset(presets, 0.55)).toBeNull();
  });
});
