import type { KvCache } from './kv-cache';

/** Anything that runs decoder steps over a KV cache: one session, or a composition of them. */
export interface DecoderStep {
  emptyCache(): KvCache;
  forward(ids: readonly number[], cache: KvCache): Promise<{ logits: Float32Array; cache: KvCache }>;
}
