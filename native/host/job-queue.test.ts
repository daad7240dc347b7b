import { describe, expect, it } from 'vitest';
import { KeyedJobQueue } from './job-queue';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('KeyedJobQueue', () => {
  it('runs one job per key at a time, in order, and different keys side by side', async () => {
    const queue = new KeyedJobQueue();
    const log: string[] = [];
    const gates = { a1: deferred(), a2: deferred(), b1: deferred() };
    const job = (id: keyof typeof gates) => ({
      id,
      run: async () => {
        log.push(`start ${id}`);
        await gates[id].promise;
        log.push(`end ${id}`);
      },
      dropped: () => log.push(`dropped ${id}`),
    });
    expect(queue.enqueue('a', job('a1'))).toBe(0);
    expect(queue.enqueue('a', job('a2'))).toBe(1);
    expect(queue.enqueue('b', job('b1'))).toBe(0);
    await Promise.resolve();
    expect(log).toEqual(['start a1', 'start b1']);
    gates.a1.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['start a1', 'start b1', 'end a1', 'start a2']);
  });

  it('drops a waiting job and tells it so', async () => {
    const queue = new KeyedJobQueue();
    const gate = deferred();
    const log: string[] = [];
    queue.enqueue('a', { id: 'first', run: () => gate.promise, dropped: () => log.push('first') });
    queue.enqueue('a', { id: 'second', run: async () => void log.push('ran second'), dropped: () => log.push('dropped second') });
    expect(queue.drop('second')).toBe(true);
    expect(queue.drop('unknown')).toBe(false);
    gate.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['dropped second']);
  });
});
