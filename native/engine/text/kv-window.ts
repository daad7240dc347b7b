import { ApiError } from '../../contract';
import { emptyTensor, float16Tensor, float32Tensor, type Tensor, type TensorMap } from '../onnx/runtime';
import type { DecoderStep, KvCache } from './decoder-session';

/** Keeps positions [0, sinks) and the last `window` of one [1, heads, length, headDim] tensor. */
export function keepSinksAndWindow(tensor: Tensor, sinks: number, window: number): Tensor {
  const [batch, heads, length, headDim] = tensor.dims as [number, number, number, number];
  const kept = Math.min(length, sinks + window);
  if (kept === length) return tensor;
  const source = tensor.data as Float32Array | Uint16Array;
  const target = new (source.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(batch * heads * kept * headDim);
  const tailStart = length - window;
  for (let row = 0; row < batch * heads; row++) {
    const from = row * length * headDim;
    const to = row * kept * headDim;
    target.set(source.subarray(from, from + sinks * headDim), to);
    target.set(source.subarray(from + tailStart * headDim, from + length * headDim), to + sinks * headDim);
  }
  const dims = [batch, heads, kept, headDim];
  if (kept === 0) return emptyTensor(tensor.type as 'float32' | 'float16', dims);
  return tensor.type === 'float16' ? float16Tensor(target as Uint16Array, dims) : float32Tensor(target as Float32Array, dims);
}

/**
 * Global + local attention (SPEC §3): after each step the cache keeps `sinks` first positions and
 * the last `window`. Keys are cached after RoPE, so relative distances stay right while the
 * position ids keep counting from the true start (the evicted count is carried in the cache).
 */
export class SlidingWindowDecoder implements DecoderStep {
  constructor(
    private readonly inner: DecoderStep,
    readonly sinks: number,
    readonly window: number,
  ) {
    if (window < 1) throw new ApiError('bad_request', `The attention window must keep at least one position, got ${window}.`);
  }

  emptyCache(): KvCache {
    return this.inner.emptyCache();
  }

  async forward(ids: readonly number[], cache: KvCache): Promise<{ logits: Float32Array; cache: KvCache }> {
    const step = await this.inner.forward(ids, cache);
    const { length } = step.cache;
    if (length <= this.sinks + this.window) return step;
    const tensors: TensorMap = {};
    for (const [name, tensor] of Object.entries(step.cache.tensors)) tensors[name] = keepSinksAndWindow(tensor, this.sinks, this.window);
    const kept = this.sinks + this.window;
    return { logits: step.logits, cache: { length: kept, evicted: step.cache.evicted + (length - kept), tensors } };
  }
}
