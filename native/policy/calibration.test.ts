import { describe, expect, it } from 'vitest';
import { MIN_SPREAD, mergeCalibration, predictCost, refreshLevel, summarizeBatch } from './calibration';

const batch = (costs: Record<string, number[]>) => Object.entries(costs).map(([id, samples]) => ({ id, fileId: `${id}.onnx`, samples }));
const label = (id: string) => `point ${id}`;

describe('a family calibration', () => {
  const stored = summarizeBatch(batch({ a: [1, 1.1, 0.9], b: [2, 2.2, 1.8], c: [4, 4.4, 3.6] }), 'cpu', 3);

  it('keeps relative costs (to the batch reference) apart from the absolute level, with each point\'s spread', () => {
    expect(stored.points.b!.relative / stored.points.a!.relative).toBeCloseTo(2, 9);
    expect(stored.points.a).toMatchObject({ low: expect.closeTo(0.9, 9), high: expect.closeTo(1.1, 9), samples: 3 });
    expect(predictCost(stored, 'c')).toEqual({ median: expect.closeTo(4, 9), low: expect.closeTo(3.6, 9), high: expect.closeTo(4.4, 9) });
    expect(predictCost(stored, 'missing')).toBeNull();
  });

  it('never claims a spread tighter than the timer allows, even from one repeat', () => {
    const single = summarizeBatch(batch({ a: [1] }), 'cpu', 1);
    expect(single.points.a).toMatchObject({ low: 1 - MIN_SPREAD, high: 1 + MIN_SPREAD });
  });

  it('a run on a busy moment moves the level for every point alike, never their order', () => {
    const busy = refreshLevel(stored, 'a', 3);
    expect(busy.points).toEqual(stored.points);
    expect(busy.level.runs).toBe(1);
    expect(predictCost(busy, 'a')!.median).toBeGreaterThan(1);
    expect(predictCost(busy, 'c')!.median / predictCost(busy, 'a')!.median).toBeCloseTo(4, 9);
    expect(predictCost(busy, 'a')!.high).toBeGreaterThan(predictCost(stored, 'a')!.high * (predictCost(busy, 'a')!.median / predictCost(stored, 'a')!.median));
  });

  it('a recalibration at twice the load with every point within its spread changes nothing', () => {
    const merged = mergeCalibration(stored, summarizeBatch(batch({ a: [2.1], b: [3.9], c: [8.2] }), 'cpu', 1), label);
    expect(merged.points).toEqual(stored.points);
    expect(merged.changes).toEqual([]);
    expect(predictCost(merged, 'a')!.median).toBeCloseTo(2, 0);
  });

  it('a point that moved beyond its spread takes the new value, and the change is said in words', () => {
    const merged = mergeCalibration(stored, summarizeBatch(batch({ a: [1], b: [2], c: [1.5] }), 'cpu', 1), label);
    expect(merged.points.a).toEqual(stored.points.a);
    expect(merged.points.c!.relative / merged.points.a!.relative).toBeCloseTo(1.5, 1);
    expect(merged.changes).toEqual([expect.stringMatching(/^point c now costs .* outside its measured spread\)$/)]);
  });

  it('a batch under other conditions replaces the stored one whole', () => {
    const fresh = summarizeBatch(batch({ a: [1], b: [1], c: [1] }), 'cuda', 1);
    expect(mergeCalibration(stored, fresh, label)).toBe(fresh);
  });
});
