/** A rule that reshapes next-token logits in place before a token is chosen. */
export interface LogitsProcessor {
  process(logits: Float32Array, generatedIds: readonly number[]): void;
}

export class LogitsProcessorList implements LogitsProcessor {
  constructor(private readonly processors: LogitsProcessor[] = []) {}

  get length(): number {
    return this.processors.length;
  }

  push(processor: LogitsProcessor): void {
    this.processors.push(processor);
  }

  process(logits: Float32Array, generatedIds: readonly number[]): void {
    for (const processor of this.processors) processor.process(logits, generatedIds);
  }
}

/** Forbids the end-of-sequence tokens until `minNewTokens` tokens have been generated. */
export class MinNewTokensLogitsProcessor implements LogitsProcessor {
  constructor(
    private readonly minNewTokens: number,
    private readonly eosTokenIds: readonly number[],
  ) {}

  process(logits: Float32Array, generatedIds: readonly number[]): void {
    if (generatedIds.length >= this.minNewTokens) return;
    for (const id of this.eosTokenIds) if (id < logits.length) logits[id] = -Infinity;
  }
}

export class TemperatureLogitsWarper implements LogitsProcessor {
  constructor(private readonly temperature: number) {
    if (!(temperature > 0)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
  }

  process(logits: Float32Array): void {
    if (this.temperature === 1) return;
    const inverse = 1 / this.temperature;
    for (let i = 0; i < logits.length; i++) logits[i]! *= inverse;
  }
}

/** Indices of the `k` largest values, largest first. */
export function topIndices(values: Float32Array, k: number): number[] {
  const order = Array.from(values.keys());
  if (k >= values.length) return order.sort((a, b) => values[b]! - values[a]!);
  // Cheaper than a full sort: keep a sorted window of the k best seen so far.
  const best = order.slice(0, k).sort((a, b) => values[b]! - values[a]!);
  for (let i = k; i < values.length; i++) {
    const value = values[i]!;
    if (value <= values[best[k - 1]!]!) continue;
    let at = k - 1;
    while (at > 0 && values[best[at - 1]!]! < value) at--;
    best.splice(at, 0, i);
    best.pop();
  }
  return best;
}

/** Keeps the k most likely tokens; k = 0 keeps all. */
export class TopKLogitsWarper implements LogitsProcessor {
  constructor(private readonly k: number) {}

  process(logits: Float32Array): void {
    if (this.k <= 0 || this.k >= logits.length) return;
    const threshold = logits[topIndices(logits, this.k)[this.k - 1]!]!;
    for (let i = 0; i < logits.length; i++) if (logits[i]! < threshold) logits[i] = -Infinity;
  }
}

/** Nucleus sampling: keeps the smallest set of tokens whose probabilities sum to at least p. */
export class TopPLogitsWarper implements LogitsProcessor {
  constructor(private readonly p: number) {}

  process(logits: Float32Array): void {
    if (this.p >= 1) return;
    const candidates = Array.from(logits.keys()).filter((i) => logits[i] !== -Infinity);
    candidates.sort((a, b) => logits[b]! - logits[a]!);
    const max = logits[candidates[0]!]!;
    const weights = candidates.map((i) => Math.exp(logits[i]! - max));
    const total = weights.reduce((sum, w) => sum + w, 0);
    let cumulative = 0;
    let keep = 0;
    while (keep < candidates.length && cumulative < this.p * total) cumulative += weights[keep++]!;
    for (let rank = Math.max(keep, 1); rank < candidates.length; rank++) logits[candidates[rank]!] = -Infinity;
  }
}

/**
 * Divides positive logits (multiplies negative ones) of tokens already seen, as in CTRL: the prompt's and the
 * generated ones alike, as Hugging Face transformers and transformers.js apply it to all input ids.
 */
export class RepetitionPenaltyLogitsProcessor implements LogitsProcessor {
  private readonly promptIds: ReadonlySet<number>;

  constructor(
    private readonly penalty: number,
    promptIds: readonly number[] = [],
  ) {
    this.promptIds = new Set(promptIds);
  }

  process(logits: Float32Array, generatedIds: readonly number[]): void {
    if (this.penalty === 1) return;
    for (const id of new Set([...this.promptIds, ...generatedIds])) {
      const value = logits[id]!;
      logits[id] = value > 0 ? value / this.penalty : value * this.penalty;
    }
  }
}

/** Drops tokens whose probability is below `minP` times the most likely token's. */
export class MinPLogitsWarper implements LogitsProcessor {
  constructor(private readonly minP: number) {}

  process(logits: Float32Array): void {
    if (this.minP <= 0) return;
    let max = -Infinity;
    for (const value of logits) if (value > max) max = value;
    const threshold = max + Math.log(this.minP);
    for (let i = 0; i < logits.length; i++) if (logits[i]! < threshold) logits[i] = -Infinity;
  }
}

/** Adds a fixed bias to the logits of some tokens (OpenAI's logit_bias). */
export class LogitBiasProcessor implements LogitsProcessor {
  constructor(private readonly bias: ReadonlyMap<number, number>) {}

  process(logits: Float32Array): void {
    for (const [id, bias] of this.bias) logits[id]! += bias;
  }
}

/**
 * OpenAI's presence and frequency penalties: each token already generated loses
 * `presence` once plus `frequency` for every time it occurs (negative values encourage repeats).
 */
export class PresenceFrequencyPenaltyLogitsProcessor implements LogitsProcessor {
  constructor(
    private readonly presence: number,
    private readonly frequency: number,
  ) {}

  process(logits: Float32Array, generatedIds: readonly number[]): void {
    const counts = new Map<number, number>();
    for (const id of generatedIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const [id, count] of counts) logits[id]! -= this.presence + this.frequency * count;
  }
}
