import { describe, expect, it } from 'vitest';
import { describeImageOperatingPoint, describeUtility, formatImageOperatingPoint, formatSecondsPerImage, lambdaWord, formatBytes, formatMsPerToken, formatNumber, formatOperatingPoint, formatOperatingPointShort, formatPrecisionShare, formatTokens } from './format';

describe('format', () => {
  it('shows a dash for unknown metrics and fixed decimals otherwise', () => {
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(undefined)).toBe('—');
    expect(formatNumber(Number.NaN)).toBe('—');
    expect(formatNumber(123.456)).toBe('123.5');
    expect(formatNumber(4.2, 2)).toBe('4.20');
  });

  it('formats sizes and context lengths compactly', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2.5 * 1024 * 1024)).toBe('2.5 MB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MB');
    expect(formatTokens(2048)).toBe('2k');
    expect(formatTokens(1000)).toBe('1000');
  });
});

describe('operating point', () => {
  const point = { lambda: 0.3, model: 'student-s', precision: 'int8', depth: 3, utility: 0.81234, quality: 0.7, efficiency: 0.9, bitsPerByte: 1.5234, msPerToken: 0.8123, msPerTokenRange: null, calibrationNote: null };

  it('says what λ selected and what it costs', () => {
    expect(formatOperatingPoint(point)).toBe('student-s · int8 · 3 layers · 1.52 bits/byte · 0.8 ms/token');
    expect(formatOperatingPointShort({ ...point, depth: 1 })).toBe('student-s · int8 · 1 layer');
    expect(describeUtility(point)).toBe('λ 0.30: utility 0.812 = λ·quality 0.700 + (1−λ)·efficiency 0.900');
  });

  it('keeps ms/token readable across scales', () => {
    expect(formatMsPerToken(0.04321)).toBe('0.04');
    expect(formatMsPerToken(3.25)).toBe('3.3');
    expect(formatMsPerToken(42.6)).toBe('43');
  });

  it('lists precision shares largest first, in whole percent', () => {
    expect(formatPrecisionShare({ fp32: 0.28, int8: 0.72 })).toBe('int8 72% · fp32 28%');
    expect(formatPrecisionShare({ int8: 1 })).toBe('int8 100%');
  });
});

describe('image operating point', () => {
  const point = { lambda: 0, model: 'emoji-student', precision: 'int8', steps: 4, utility: 1, quality: 0.7, efficiency: 1, frechetDistance: 10.7557, faithfulness: 0.5, sPerImage: 0.0512, sPerImageRange: null, calibrationNote: null };

  it('says which package, precision and steps λ selected, with the predicted quality and cost', () => {
    expect(formatImageOperatingPoint(point)).toBe('emoji-student · int8 · 4 steps · Fréchet 10.76 · 0.05 s/image');
    expect(formatImageOperatingPoint({ ...point, steps: 1, sPerImage: 12.345 })).toBe('emoji-student · int8 · 1 step · Fréchet 10.76 · 12.3 s/image');
    expect(describeImageOperatingPoint(point)).toBe('λ 0.00: utility 1.000 = λ·quality 0.700 + (1−λ)·efficiency 1.000; Fréchet distance 10.76 (lower is better); prompt faithfulness 50%');
    expect(describeImageOperatingPoint({ ...point, faithfulness: null })).not.toContain('faithfulness');
    expect(formatSecondsPerImage(1.234)).toBe('1.23');
  });
});

describe('lambdaWord', () => {
  it('names the ends and the middle of the slider', () => {
    expect([0, 0.3, 0.5, 0.7, 1].map(lambdaWord)).toEqual(['Most efficient', 'Efficient', 'Balanced', 'Quality', 'Best quality']);
  });
});
