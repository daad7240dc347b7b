import { argmax } from './argmax';

/** A seeded pseudo-random source: the same seed gives the same sequence on every platform. */
export function seededRandom(seed: number): () => number {
  // mulberry32: 32-bit integer arithmetic only, so results do not depend on the platform.
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks the next token from processed logits. */
export interface TokenChooser {
  choose(logits: Float32Array): number;
}

export class GreedyChooser implements TokenChooser {
  choose(logits: Float32Array): number {
    return argmax(logits);
  }
}

/** Draws from softmax(logits) with a seeded random source. */
export class MultinomialChooser implements TokenChooser {
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  choose(logits: Float32Array): number {
    let max = -Infinity;
    for (const value of logits) if (value > max) max = value;
    let total = 0;
    const weights = new Float64Array(logits.length);
    for (let i = 0; i < logits.length; i++) total += weights[i] = Math.exp(logits[i]! - max);
    let remaining = this.random() * total;
    let last = 0;
    for (let i = 0; i < weights.length; i++) {
      if (weights[i] === 0) continue;
      last = i;
      remaining -= weights[i]!;
      if (remaining < 0) return i;
    }
    return last;
  }
}
