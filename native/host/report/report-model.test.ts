import { describe, expect, it } from 'vitest';
import { BYTES_PER_WORD } from '../../policy/operating-point-policy';
import { buildFamilyReport, sizeScoreOf, utilityCurve, type FamilyMeasurement, type MeasuredPoint, type PointRun } from './report-model';

const run = (cost: number, joules: number | null = null): PointRun => ({ cost, peakRssMb: 200, joulesPerOutput: joules, energySource: joules === null ? null : 'estimated:cpu-time×tdp', energyRange: joules === null ? null : { low: joules / 2, high: joules * 1.5 } });

/** `bitsPerWord`: the fixture's qualities are 2^-1, 2^-2, 2^-3 per word, so Q/Qmax is 1, 0.5, 0.25. */
function point(id: string, role: 'teacher' | 'student', bytes: number, bitsPerWord: number | null, costs: number[], joules: number | null = null): MeasuredPoint {
  const [model, precision, depth] = id.split(':');
  return { id, model: model!, role, precision: precision!, depth: Number(depth), steps: null, parameters: role === 'teacher' ? 4_000_000 : 1_000_000, bytes, quality: bitsPerWord === null ? null : { value: bitsPerWord / BYTES_PER_WORD, coherence: 0.2 }, runs: costs.map((cost) => run(cost, joules)) };
}

/** A teacher and a student, measured three rounds each (no timing: the costs are given). */
const measurement = (): FamilyMeasurement => ({
  kind: 'text',
  family: 'tiny',
  repeats: 3,
  tokens: 16,
  problems: [],
  points: [
    point('teacher:fp32:8', 'teacher', 16_000_000, 1, [4, 3, 5], 0.004),
    point('student:fp32:4', 'student', 4_000_000, 2, [1, 1.2, 0.8], 0.001),
    // Dominated: worse quality than the teacher and dearer than the student.
    point('student:fp16:4', 'student', 2_000_000, 3, [2, 2, 2], 0.002),
  ],
});

const device = { memoryMb: 8192, providerAvailable: true };

describe('the report model, from a fixture of measurements', () => {
  const family = buildFamilyReport(measurement(), device);
  const byId = (id: string) => family.points.find((candidate) => candidate.id === id)!;

  it('keeps each point’s median and spread, its throughput, energy with its source, and the ratios against the teacher', () => {
    const teacher = byId('teacher:fp32:8');
    expect(teacher.cost).toEqual({ median: 4, low: 3, high: 5 });
    expect(teacher.throughput).toBeCloseTo(250);
    expect(teacher.compressionRatio).toBe(1);
    expect(byId('student:fp32:4').compressionRatio).toBe(4);
    expect(teacher.energy).toEqual({ perOutput: { median: 0.004, low: 0.004, high: 0.004 }, source: 'estimated:cpu-time×tdp', estimated: true, estimateRange: { low: 0.002, high: 0.006 } });
    expect(family.unit).toBe('ms/token');
  });

  it('scores Q/Qmax from bits per byte, E from the cheapest median, and the Pareto score at λ = 0.5', () => {
    // Q = 2^-bpb: teacher 0.5, student 0.25, dominated 0.125; Qmax = 0.5. E = 1 / median: 0.25, 1, 0.5.
    const student = byId('student:fp32:4');
    expect(student.qualityRatio).toBeCloseTo(0.5);
    expect(student.efficiency).toBeCloseTo(1);
    expect(student.paretoScore).toBeCloseTo(0.75);
    expect(byId('teacher:fp32:8').paretoScore).toBeCloseTo(0.625);
  });

  it('draws the front through the points no other point beats on both quality and cost', () => {
    expect(family.points.filter((candidate) => candidate.onFront).map((candidate) => candidate.id)).toEqual(['teacher:fp32:8', 'student:fp32:4']);
  });

  it('computes the utility curve and C* for each report λ by hand', () => {
    // Front: student (Q 0.5, E 1) and teacher (Q 1, E 0.25). U = λ·Q + (1−λ)·E.
    // λ 0.25: student 0.875, teacher 0.4375; λ 0.5: 0.75, 0.625; λ 0.75: 0.625, 0.8125.
    const curves = Object.fromEntries(family.utility.map((curve) => [curve.lambda, curve]));
    expect(curves[0.25]!.points.map((entry) => [entry.id, entry.utility])).toEqual([
      ['student:fp32:4', 0.875],
      ['teacher:fp32:8', 0.4375],
    ]);
    expect(curves[0.25]!.chosen).toBe('student:fp32:4');
    expect(curves[0.5]!.chosen).toBe('student:fp32:4');
    expect(curves[0.75]!.points[1]!.utility).toBeCloseTo(0.8125);
    expect(curves[0.75]!.chosen).toBe('teacher:fp32:8');
  });

  it('rates deployability from memory, provider and size, and the index as the geometric mean', () => {
    const smallest = byId('student:fp16:4');
    expect(smallest.deployability).toEqual({ fitsInMemory: true, providerAvailable: true, sizeScore: 1, score: 1 });
    expect(byId('teacher:fp32:8').deployability.sizeScore).toBeCloseTo(0.5);
    expect(smallest.index).toBeCloseTo(Math.cbrt(0.25 * 0.5 * 1));
    const crowded = buildFamilyReport(measurement(), { memoryMb: 100, providerAvailable: true });
    expect(crowded.points.every((candidate) => candidate.index === 0 && !candidate.deployability.fitsInMemory)).toBe(true);
  });

  it('marks quality unknown where the packages declare none, and keeps the measured cost', () => {
    const undeclared = measurement();
    undeclared.points = undeclared.points.map((entry) => ({ ...entry, quality: null }));
    const family = buildFamilyReport(undeclared, device);
    expect(family.points).toHaveLength(3);
    expect(family.points.every((entry) => entry.quality === null && entry.qualityRatio === null && entry.index === null && entry.onFront === null)).toBe(true);
    expect(family.points[0]!.cost.median).toBe(4);
    expect(family.utility).toEqual([]);
    expect(family.problems.join(' ')).toMatch(/declare no quality.*quality, the front, U\(C\) and the index are unknown/);
  });
});

describe('the pieces', () => {
  it('finds C* on constructed points, skipping a point under the front', () => {
    const points = [
      { id: 'a', quality: 1, cost: 10 },
      { id: 'b', quality: 0.9, cost: 5 },
      { id: 'c', quality: 0.5, cost: 1 },
      { id: 'd', quality: 0.5, cost: 6 },
    ];
    // E: a 0.1, b 0.2, c 1. At λ 0.5: a 0.55, b 0.55, c 0.75.
    const curve = utilityCurve(points, 0.5);
    expect(curve.points.map((entry) => entry.id)).toEqual(['c', 'b', 'a']);
    expect(curve.chosen).toBe('c');
    expect(utilityCurve(points, 0.95).chosen).toBe('a');
  });

  it('counts the parameters a depth exit runs from its full-precision file, and parameters × steps for images', () => {
    const exits: FamilyMeasurement = { ...measurement(), points: [point('teacher:fp32:8', 'teacher', 16_000_000, 1, [4]), point('teacher:int8:8', 'teacher', 4_000_000, 1, [3]), point('teacher:fp32:4', 'teacher', 10_000_000, 1.2, [2]), point('teacher:int8:4', 'teacher', 2_500_000, 1.2, [1])] };
    const complexities = buildFamilyReport(exits, device).points.map((entry) => entry.complexity);
    expect(complexities).toEqual([4_000_000, 4_000_000, 2_500_000, 2_500_000]);
    const image: MeasuredPoint = { ...point('faces:fp32:1', 'teacher', 1_000, 8, [1]), depth: null, steps: 20, parameters: 2_000_000 };
    expect(buildFamilyReport({ ...measurement(), kind: 'image', points: [image] }, device).points[0]!.complexity).toBe(40_000_000);
  });

  it('scales the size score by the logarithm of the size', () => {
    expect(sizeScoreOf(1, 1, 100)).toBe(1);
    expect(sizeScoreOf(10, 1, 100)).toBeCloseTo(0.75);
    expect(sizeScoreOf(100, 1, 100)).toBeCloseTo(0.5);
    expect(sizeScoreOf(5, 5, 5)).toBe(1);
  });
});
