import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

// Every buffer here is larger than a last-level cache (a server's L3 may hold a few hundred MiB), so the figures are the memory's, not the cache's.

/** Bytes moved per second by a large memory copy (read + write), best of a few. */
export function measureCopyBandwidth(megabytes = 512, repeats = 5): { bytesPerSecond: number; megabytes: number } {
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

export interface ReadBandwidth {
  /** Bytes read per second by all the readers together, best round. */
  bytesPerSecond: number;
  threads: number;
  megabytesPerThread: number;
}

/**
 * One reader: each round it compares two equal buffers (memcmp, which streams both from memory with vector loads)
 * once the main thread bumps the round counter. A decode step reads its weights and writes almost nothing, so
 * reading on every core the decode uses, not copying on one, is the ceiling it works under.
 */
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
const half = (workerData.megabytes * 1024 * 1024) / 2;
const a = Buffer.alloc(half, 1);
const b = Buffer.alloc(half, 1);
a.equals(b);
const round = new Int32Array(workerData.round);
parentPort.postMessage('ready');
for (let k = 1; k <= workerData.rounds; k++) {
  Atomics.wait(round, 0, k - 1);
  a.equals(b);
  parentPort.postMessage('done');
}
`;

/** Memory read bandwidth of `threads` cores reading at once, best of `rounds`. */
export async function measureReadBandwidth(threads: number, megabytesPerThread = 512, rounds = 5): Promise<ReadBandwidth> {
  const round = new Int32Array(new SharedArrayBuffer(4));
  const workers = Array.from({ length: threads }, () => new Worker(READER, { eval: true, workerData: { megabytes: megabytesPerThread, rounds, round: round.buffer } }));
  // events.once rejects when the worker emits 'error' first
  const allReport = () => Promise.all(workers.map((worker) => once(worker, 'message')));
  try {
    await allReport();
    let best = Infinity;
    for (let k = 1; k <= rounds; k++) {
      const finished = allReport();
      const start = performance.now();
      Atomics.store(round, 0, k);
      Atomics.notify(round, 0);
      await finished;
      best = Math.min(best, performance.now() - start);
    }
    return { bytesPerSecond: (threads * megabytesPerThread * 1024 * 1024) / (best / 1000), threads, megabytesPerThread };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/**
 * Reads more memory than a last-level cache holds, so the run after it finds none of its weights cached: the
 * studio on a laptop (L3 of a few MiB) always reads a 100M+ model from memory, and runs then do not depend on
 * which model ran before them.
 */
export function cacheEvictor(megabytes = 1024): () => void {
  const half = (megabytes * 1024 * 1024) / 2;
  const a = Buffer.alloc(half, 1);
  const b = Buffer.alloc(half, 1);
  return () => void a.equals(b);
}
