import { ApiError } from '../../contract';
import type { DecoderStep } from './decoder-step';
import { keepSinksAndWindow, type KvCache } from './kv-cache';

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
    return { logits: step.logits, cache: keepSinksAndWindow(step.cache, this.sinks, this.window) };
  }
}
