import { describe, expect, it } from 'vitest';
import { float32Tensor } from '../onnx/runtime';
import { emptyKvCache, exactLength, extended, keepSinksAndWindow, kvCapacity, rewind, withRoomFor, writePositions, type KvCache } from './kv-cache';

const [HEADS, HEAD_DIM] = [2, 3];
const NAMES = ['past.0.key', 'past.0.value'];

/** Appends `values.length` positions, position p of head h holding 1000·h + values[i] in every element. */
function append(cache: KvCache, values: number[]): KvCache {
  const room = withRoomFor(cache, values.length);
  const next = extended(room, values.length);
  const data = new Float32Array(HEADS * values.length * HEAD_DIM);
  for (let head = 0; head < HEADS; head++) values.forEach((value, i) => data.fill(1000 * head + value, (head * values.length + i) * HEAD_DIM, (head * values.length + i + 1) * HEAD_DIM));
  const added = float32Tensor(data, [1, HEADS, values.length, HEAD_DIM]);
  writePositions(next, room.length, Object.fromEntries(NAMES.map((name) => [name, added])));
  return next;
}

/** The value each position of head `head` holds in the first tensor, over the cache's length. */
function positions(cache: KvCache, head = 0): number[] {
  const tensor = cache.tensors[NAMES[0]!]!;
  const data = tensor.data as Float32Array;
  const stride = Number(tensor.dims[2]);
  return Array.from({ length: cache.length }, (_, p) => data[(head * stride + p) * HEAD_DIM]! - 1000 * head);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const empty = () => emptyKvCache(NAMES, 'float32', HEADS, HEAD_DIM);

describe('KV cache with room', () => {
  it('keeps appending into the same tensors while they have room, then copies into an eighth more, in blocks of 16', () => {
    const prompt = append(empty(), range(0, 100));
    expect(kvCapacity(prompt)).toBe(128);
    let cache = prompt;
    for (let p = 100; p < 128; p++) cache = append(cache, [p]);
    expect(cache.tensors[NAMES[0]!]).toBe(prompt.tensors[NAMES[0]!]);
    cache = append(cache, [128]);
    expect(kvCapacity(cache)).toBe(160);
    expect(positions(cache)).toEqual(range(0, 129));
    expect(positions(cache, 1)).toEqual(range(0, 129));
    expect(kvCapacity(append(empty(), range(0, 5)))).toBe(16);
    expect(kvCapacity(append(empty(), range(0, 1000)))).toBe(1136);
  });

  it('copies a cache that a later step has written past, so the later cache keeps its positions; rewind writes over them instead', () => {
    const base = append(empty(), [10, 11, 12]);
    const first = append(base, [13]);
    const second = append(base, [99]);
    expect(second.tensors[NAMES[0]!]).not.toBe(base.tensors[NAMES[0]!]);
    expect(positions(first)).toEqual([10, 11, 12, 13]);
    expect(positions(second)).toEqual([10, 11, 12, 99]);
    rewind(base);
    const retried = append(base, [42]);
    expect(retried.tensors[NAMES[0]!]).toBe(base.tensors[NAMES[0]!]);
    expect(positions(retried)).toEqual([10, 11, 12, 42]);
  });

  it('keeps the sinks and the window within its own tensors, counting what it drops', () => {
    const cache = append(empty(), range(0, 10));
    const kept = keepSinksAndWindow(cache, 2, 3);
    expect(kept).toMatchObject({ length: 5, evicted: 5 });
    expect(kept.tensors[NAMES[0]!]).toBe(cache.tensors[NAMES[0]!]);
    expect(positions(kept)).toEqual([0, 1, 7, 8, 9]);
    expect(positions(kept, 1)).toEqual([0, 1, 7, 8, 9]);
    expect(positions(append(kept, [10]))).toEqual([0, 1, 7, 8, 9, 10]);
    expect(keepSinksAndWindow(kept, 2, 8)).toBe(kept);
  });

  it('gives a session that reads its past whole tensors of exactly the cache’s length', () => {
    const cache = append(empty(), range(0, 6));
    const exact = exactLength(cache);
    expect(exact.tensors[NAMES[1]!]!.dims).toEqual([1, HEADS, 6, HEAD_DIM]);
    expect(positions(exact, 1)).toEqual(range(0, 6));
    expect(exactLength(exact)).toBe(exact);
  });
});
