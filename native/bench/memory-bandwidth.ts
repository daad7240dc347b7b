/** Bytes moved per second by a large memory copy (read + write), best of a few: the ceiling a bandwidth-bound decode step works under. */
export function measureCopyBandwidth(megabytes = 128, repeats = 5): { bytesPerSecond: number; megabytes: number } {
  const source = Buffer.alloc(megabytes * 1024 * 1024, 1);
  const target = Buffer.alloc(source.length);
  source.copy(target); // touch every page of both before timing
  let best = Infinity;
  for (let repeat = 0; repeat < repeats; repeat++) {
    const start = performance.now();
    source.copy(target);
    best = Math.min(best, performance.now() - start);
  }
  return { bytesPerSecond: (2 * source.length) / (best / 1000), megabytes };
}
