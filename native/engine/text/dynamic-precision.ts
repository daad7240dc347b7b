import { ApiError } from '../../contract';
import type { DecoderSession } from './decoder-session';
import type { DecoderStep } from './decoder-step';
import { rewind, type KvCache } from './kv-cache';

/** Shannon entropy (nats) of softmax(logits). */
export function entropy(logits: Float32Array): number {
  let max = -Infinity;
  for (const value of logits) if (value > max) max = value;
  let total = 0;
  let weighted = 0;
  for (const value of logits) {
    if (value === -Infinity) continue;
    const shifted = value - max;
    const weight = Math.exp(shifted);
    total += weight;
    weighted += weight * shifted;
  }
  return Math.log(total) - weighted / total;
}

/**
 * Dynamic precision scaling (SPEC §3): every token is first computed by the cheap variant; when
 * its next-token distribution is uncertain (entropy above the threshold) the same step is rerun
 * by the full-precision variant, whose logits and cache entries are kept. Both variants read and
 * extend one KV cache, so switching costs nothing beyond the rerun.
 */
export class DynamicPrecisionDecoder implements DecoderStep {
  readonly tokensBy: Record<string, number>;

  constructor(
    private readonly cheap: DecoderSession,
    private readonly full: DecoderSession,
    private readonly entropyThreshold: number,
  ) {
    const [a, b] = [cheap.layout, full.layout];
    if (a.kvType !== b.kvType || a.slots.length !== b.slots.length || a.kvHeads !== b.kvHeads || a.headDim !== b.headDim) {
      throw new ApiError('bad_request', `Dynamic precision needs variants with the same KV cache; ${cheap.precision} and ${full.precision} differ.`);
    }
    this.tokensBy = { [cheap.precision]: 0, [full.precision]: 0 };
  }

  emptyCache(): KvCache {
    return this.full.emptyCache();
  }

  async forward(ids: readonly number[], cache: KvCache): Promise<{ logits: Float32Array; cache: KvCache }> {
    const cheapStep = await this.cheap.forward(ids, cache);
    if (entropy(cheapStep.logits) <= this.entropyThreshold) {
      this.tokensBy[this.cheap.precision]!++;
      return cheapStep;
    }
    this.tokensBy[this.full.precision]!++;
    rewind(cache);
    return this.full.forward(ids, cache);
  }

  /** The share of tokens each variant produced. */
  shares(): Record<string, number> {
    const total = Object.values(this.tokensBy).reduce((sum, n) => sum + n, 0) || 1;
    return Object.fromEntries(Object.entries(this.tokensBy).map(([precision, n]) => [precision, n / total]));
  }
}
