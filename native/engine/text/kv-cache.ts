import { emptyTensor, float16Tensor, float32Tensor, type Tensor, type TensorMap } from '../onnx/runtime';

/**
 * The past key/value tensors of every layer: [1, kv_heads, capacity, head_dim] each, of which the first
 * `length` positions are this cache's, after `evicted` dropped positions. A session that appends a step's
 * positions to the cache leaves room beyond `length`; one whose present outputs are the whole next cache
 * fills them exactly.
 */
export interface KvCache {
  length: number;
  evicted: number;
  tensors: TensorMap;
  /**
   * Shared by every cache over the same tensors: how many positions of them have been written. A step from
   * a cache shorter than that would overwrite a later step's positions, so it copies the cache first, unless
   * the later step was given up with `rewind`.
   */
  written: { positions: number };
}

type KvData = Float32Array | Uint16Array;

/** Positions each tensor of the cache has room for. */
export function kvCapacity(cache: KvCache): number {
  const first = Object.values(cache.tensors)[0];
  return first ? Number(first.dims[2]) : 0;
}

/** The cache with nothing in it: zero-length tensors of the given type and shape. */
export function emptyKvCache(pastNames: readonly string[], type: 'float32' | 'float16', kvHeads: number, headDim: number): KvCache {
  const dims = [1, kvHeads, 0, headDim];
  return { length: 0, evicted: 0, tensors: Object.fromEntries(pastNames.map((name) => [name, emptyTensor(type, dims)])), written: { positions: 0 } };
}

/** A cache whose tensors hold exactly `length` positions, as the present outputs of a step return them. */
export function exactKvCache(tensors: TensorMap, length: number, evicted: number): KvCache {
  return { length, evicted, tensors, written: { positions: length } };
}

/** `tensor`'s first `length` positions per head copied into a new tensor of `capacity` positions. */
function copiedPositions(tensor: Tensor, length: number, capacity: number): Tensor {
  const [batch, heads, stride, headDim] = tensor.dims as [number, number, number, number];
  const source = tensor.data as KvData;
  const target = new (source.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(batch * heads * capacity * headDim);
  for (let row = 0; row < batch * heads; row++) {
    target.set(source.subarray(row * stride * headDim, (row * stride + length) * headDim), row * capacity * headDim);
  }
  const dims = [batch, heads, capacity, headDim];
  if (target.length === 0) return emptyTensor(tensor.type as 'float32' | 'float16', dims);
  return tensor.type === 'float16' ? float16Tensor(target as Uint16Array, dims) : float32Tensor(target as Float32Array, dims);
}

function copiedCache(cache: KvCache, capacity: number): KvCache {
  const tensors = Object.fromEntries(Object.entries(cache.tensors).map(([name, tensor]) => [name, copiedPositions(tensor, cache.length, capacity)]));
  return { ...cache, tensors, written: { positions: cache.length } };
}

/**
 * Room is added in whole blocks of positions, an eighth more than needed: onnxruntime's GroupQueryAttention
 * clears a present buffer as long as the past it is given, room included, so room costs time at every step
 * (blocks of 128 instead of 16 cost the 135M shape's int4 token 6 % over a 64-token story). Growing by an
 * eighth copies each position about nine times over a long story.
 */
const ROOM_BLOCK = 16;

/**
 * The cache with room for `count` more positions, and no later step's positions in that room: the same
 * tensors when they allow it, otherwise a copy into larger ones.
 */
export function withRoomFor(cache: KvCache, count: number): KvCache {
  const needed = cache.length + count;
  if (needed <= kvCapacity(cache) && cache.written.positions <= cache.length) return cache;
  return copiedCache(cache, Math.ceil((needed * 9) / 8 / ROOM_BLOCK) * ROOM_BLOCK);
}

/** The cache as tensors of exactly its length, for a session that reads its past whole (a copy only where there is room). */
export function exactLength(cache: KvCache): KvCache {
  return kvCapacity(cache) === cache.length ? cache : copiedCache(cache, cache.length);
}

/** Writes `added` ([1, kv_heads, count, head_dim] under each past input's name) into the cache's tensors from position `at` on. */
export function writePositions(cache: KvCache, at: number, added: TensorMap): void {
  for (const [name, tensor] of Object.entries(cache.tensors)) {
    const source = added[name]!;
    const [batch, heads, count, headDim] = source.dims as [number, number, number, number];
    const stride = Number(tensor.dims[2]);
    const [from, to] = [source.data as KvData, tensor.data as KvData];
    for (let row = 0; row < batch * heads; row++) to.set(from.subarray(row * count * headDim, (row + 1) * count * headDim), (row * stride + at) * headDim);
  }
}

/** Gives up every step taken from `cache`: the next step from it writes over their positions instead of copying. */
export function rewind(cache: KvCache): void {
  cache.written.positions = Math.min(cache.written.positions, cache.length);
}

/** The cache once `step` more positions are written into its tensors. */
export function extended(cache: KvCache, step: number): KvCache {
  const length = cache.length + step;
  cache.written.positions = length;
  return { ...cache, length };
}

/**
 * Keeps positions [0, sinks) and the last `window` of the cache, moved down within its own tensors (which
 * keep their room). A cache that a later step has written past is copied instead.
 */
export function keepSinksAndWindow(cache: KvCache, sinks: number, window: number): KvCache {
  const kept = Math.min(cache.length, sinks + window);
  if (kept === cache.length) return cache;
  const own = cache.written.positions <= cache.length ? cache : copiedCache(cache, cache.length);
  const tailStart = own.length - window;
  for (const tensor of Object.values(own.tensors)) {
    const [batch, heads, stride, headDim] = tensor.dims as [number, number, number, number];
    const data = tensor.data as KvData;
    for (let row = 0; row < batch * heads; row++) {
      const start = row * stride * headDim;
      data.copyWithin(start + sinks * headDim, start + tailStart * headDim, start + own.length * headDim);
    }
  }
  own.written.positions = kept;
  return { ...own, length: kept, evicted: own.evicted + (own.length - kept) };
}
