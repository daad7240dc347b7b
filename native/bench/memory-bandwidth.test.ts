import { describe, expect, it } from 'vitest';
import { measureReadBandwidth } from './memory-bandwidth';

describe('read bandwidth probe', () => {
  it('counts the bytes every reader streamed, all readers at once', async () => {
    const one = await measureReadBandwidth(1, 16, 2);
    const two = await measureReadBandwidth(2, 16, 2);
    expect(one).toMatchObject({ threads: 1, megabytesPerThread: 16 });
    expect(two.threads).toBe(2);
    // memcmp of cached 16 MiB buffers runs at gigabytes per second anywhere; a wrong byte count or a clock in seconds would not
    expect(one.bytesPerSecond).toBeGreaterThan(1e8);
    expect(two.bytesPerSecond).toBeGreaterThan(1e8);
  });
});
