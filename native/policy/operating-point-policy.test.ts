import { describe, expect, it } from 'vitest';
import { chooseOperatingPoint, imageQuality, paretoFront, scorePoints, textQuality } from './operating-point-policy';

const point = (model: string, precision: string, depth: number, bitsPerByte: number, msPerToken: number) => ({
  model,
  precision,
  depth,
  quality: textQuality(bitsPerByte),
  cost: msPerToken,
});

const family = [
  point('teacher', 'fp32', 8, 1.0, 10),
  point('teacher', 'int8', 8, 1.02, 5),
  point('student', 'fp32', 4, 1.08, 3),
  point('student', 'int8', 4, 1.1, 1.5),
  point('student', 'int8', 2, 1.3, 1.0),
  point('student', 'fp16', 4, 1.08, 3.5), // dominated by student fp32: same quality, slower
];

describe('the λ policy', () => {
  it('keeps only Pareto-optimal points', () => {
    const front = paretoFront(family);
    expect(front).toHaveLength(5);
    expect(front.find((p) => p.precision === 'fp16')).toBeUndefined();
  });

  it('λ = 1 takes the best quality, λ = 0 the fastest, and λ moves monotonically between them', () => {
    expect(chooseOperatingPoint(family, 1)).toMatchObject({ model: 'teacher', precision: 'fp32' });
    expect(chooseOperatingPoint(family, 0)).toMatchObject({ model: 'student', precision: 'int8', depth: 2 });
    const costs = [0, 0.25, 0.5, 0.75, 0.9, 1].map((lambda) => chooseOperatingPoint(family, lambda).cost);
    expect([...costs].sort((a, b) => a - b)).toEqual(costs);
  });

  it('scores with the paper\'s utility: λ·Q/Qmax + (1−λ)·E', () => {
    const scored = scorePoints(family, 0.5);
    const teacher = scored[0]!;
    expect(teacher.qualityRatio).toBe(1);
    expect(teacher.efficiency).toBeCloseTo(1.0 / 10);
    expect(teacher.utility).toBeCloseTo(0.5 * 1 + 0.5 * 0.1);
    expect(scored[4]!.qualityRatio).toBeCloseTo(2 ** -1.3 / 2 ** -1.0);
  });

  it('scores images by the inverse Fréchet distance: Q/Qmax = FDmin/FD', () => {
    const images = [
      { name: 'teacher@50', quality: imageQuality(20), cost: 2.0 },
      { name: 'student@4', quality: imageQuality(24), cost: 0.1 },
    ];
    expect(scorePoints(images, 1)[1]!.qualityRatio).toBeCloseTo(20 / 24);
    expect(chooseOperatingPoint(images, 1).name).toBe('teacher@50');
    expect(chooseOperatingPoint(images, 0.5).name).toBe('student@4');
  });

  it('refuses λ outside [0, 1] and an empty family', () => {
    expect(() => chooseOperatingPoint(family, 1.5)).toThrowError(/λ must be between 0 and 1/);
    expect(() => chooseOperatingPoint([], 0.5)).toThrowError(/no operating points/);
  });
});
