import { describe, expect, it } from 'vitest';
import { formatBytes, formatNumber, formatTokens } from './format';

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
