import { describe, expect, it } from 'vitest';
import { BYTES_PER_WORD, chooseOperatingPoint, imageQuality, lambdaRanges, paretoFront, scorePoints, settleQualityTies, textQuality } from './operating-point-policy';

const point = (model: string, precision: string, depth: number, bitsPerByte: number, msPerToken: number) => ({
  id: `${model}:${precision}:${depth}`,
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
    expect(scored[4]!.qualityRatio).toBeCloseTo(2 ** (-1.3 * BYTES_PER_WORD) / 2 ** (-1.0 * BYTES_PER_WORD));
  });

  it('scores images by the inverse Fréchet distance: Q/Qmax = FDmin/FD', () => {
    const images = [
      { id: 'teacher@50', quality: imageQuality(20), cost: 2.0 },
      { id: 'student@4', quality: imageQuality(24), cost: 0.1 },
    ];
    expect(scorePoints(images, 1)[1]!.qualityRatio).toBeCloseTo(20 / 24);
    expect(chooseOperatingPoint(images, 1).id).toBe('teacher@50');
    expect(chooseOperatingPoint(images, 0.5).id).toBe('student@4');
  });

  it('refuses λ outside [0, 1] and an empty family', () => {
    expect(() => chooseOperatingPoint(family, 1.5)).toThrowError(/λ must be between 0 and 1/);
    expect(() => chooseOperatingPoint(family, -0.1)).toThrowError(/λ must be between 0 and 1/);
    expect(() => chooseOperatingPoint(family, Number.NaN)).toThrowError(/λ must be between 0 and 1/);
    expect(() => chooseOperatingPoint([], 0.5)).toThrowError(/no operating points/);
  });

  it('a family of one point runs it at every λ, over the whole slider', () => {
    const one = [point('only', 'fp32', 4, 1.2, 2)];
    for (const lambda of [0, 0.3, 1]) expect(chooseOperatingPoint(one, lambda).id).toBe('only:fp32:4');
    expect(lambdaRanges(one)).toEqual([{ id: 'only:fp32:4', from: 0, to: 1 }]);
  });

  it('points of equal quality: the cheapest wins at every λ, and an exact tie goes the same way every time', () => {
    const equal = [point('a', 'fp32', 4, 1.1, 3), point('b', 'fp16', 4, 1.1, 2), point('c', 'int8', 4, 1.1, 2)];
    for (const lambda of [0, 0.5, 1]) expect(chooseOperatingPoint(equal, lambda).id).toBe('b:fp16:4');
    expect(chooseOperatingPoint([...equal].reverse(), 1).id).toBe('b:fp16:4');
  });

  it('gives each front point the λ range where it is chosen, in quality order', () => {
    const ranges = lambdaRanges(family);
    expect(ranges[0]).toMatchObject({ id: 'student:int8:2', from: 0 });
    expect(ranges.at(-1)).toMatchObject({ id: 'teacher:fp32:8', to: 1 });
    for (const [index, range] of ranges.entries()) {
      expect(chooseOperatingPoint(family, (range.from + range.to) / 2).id).toBe(range.id);
      if (index > 0) expect(range.from).toBe(ranges[index - 1]!.to);
    }
  });

  it('settles a quality tie between precision variants by cost, not by the fourth decimal of the declared quality', () => {
    // The image student as declared: Fréchet 8.2404 (fp32), 8.2493 (fp16), 8.2891 (int8), and int8 is the cheapest.
    const variants = [
      { id: 'fp32', network: 'student@4', quality: imageQuality(8.2404), cost: 0.03 },
      { id: 'fp16', network: 'student@4', quality: imageQuality(8.2493), cost: 0.025 },
      { id: 'int8', network: 'student@4', quality: imageQuality(8.2891), cost: 0.02 },
      { id: 'teacher', network: 'teacher@20', quality: imageQuality(8.1028), cost: 0.15 },
    ];
    const settled = settleQualityTies(variants, (p) => p.network);
    expect(new Set(settled.slice(0, 3).map((p) => p.quality)).size).toBe(1);
    expect(settled[3]!.quality).toBe(variants[3]!.quality);
    for (const lambda of [0, 0.5, 0.8]) expect(chooseOperatingPoint(settled, lambda).id).toBe('int8');
    expect(chooseOperatingPoint(settled, 1).id).toBe('teacher');
  });
});
