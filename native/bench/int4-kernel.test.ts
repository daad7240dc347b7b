import { describe, expect, it } from 'vitest';
import { measureInt4Kernel } from './int4-kernel';

describe('int4 kernel probe', () => {
  it('runs one MatMulNBits product and reports the weight bytes it read per second, on every thread and on one', async () => {
    let evictions = 0;
    const measured = await measureInt4Kernel(256, 64, 2, () => evictions++, 3);
    expect(measured).toMatchObject({ n: 256, k: 64, threads: 2 });
    expect(evictions).toBe(6);
    // 10 KB of weights per run: any machine reads them at well over 0.01 GB/s, and a clock in seconds would not
    expect(measured.gbPerSecond).toBeGreaterThan(0.01);
    expect(measured.oneThreadGbPerSecond).toBeGreaterThan(0.01);
  });
});
