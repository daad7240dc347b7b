import type { FinishReason } from '../../contract';

/** Decides, after each new token, whether generation ends and why. */
export interface StoppingCriterion {
  check(generatedIds: readonly number[]): FinishReason | null;
}

export class StoppingCriteriaList implements StoppingCriterion {
  constructor(private readonly criteria: StoppingCriterion[] = []) {}

  push(criterion: StoppingCriterion): void {
    this.criteria.push(criterion);
  }

  check(generatedIds: readonly number[]): FinishReason | null {
    for (const criterion of this.criteria) {
      const reason = criterion.check(generatedIds);
      if (reason) return reason;
    }
    return null;
  }
}

export class MaxNewTokensCriteria implements StoppingCriterion {
  constructor(private readonly maxNewTokens: number) {}

  check(generatedIds: readonly number[]): FinishReason | null {
    return generatedIds.length >= this.maxNewTokens ? 'length' : null;
  }
}

/** Stops when the sequence fills the model's context window. */
export class MaxContextCriteria implements StoppingCriterion {
  constructor(
    private readonly promptLength: number,
    private readonly contextLength: number,
  ) {}

  check(generatedIds: readonly number[]): FinishReason | null {
    return this.promptLength + generatedIds.length >= this.contextLength ? 'context' : null;
  }
}

export class EosTokenCriteria implements StoppingCriterion {
  private readonly eos: Set<number>;

  constructor(eosTokenIds: readonly number[]) {
    this.eos = new Set(eosTokenIds);
  }

  check(generatedIds: readonly number[]): FinishReason | null {
    const last = generatedIds.at(-1);
    return last !== undefined && this.eos.has(last) ? 'eos' : null;
  }
}

/** Lets a caller (the Stop button, a cancelled job) end generation after the current token. */
export class InterruptableStoppingCriteria implements StoppingCriterion {
  constructor(private readonly signal: AbortSignal) {}

  check(): FinishReason | null {
    return this.signal.aborted ? 'cancelled' : null;
  }
}

/** Stops once the decoded text ends with one of the stop strings. */
export class StopStringCriteria implements StoppingCriterion {
  private readonly tailTokens: number;

  constructor(
    private readonly stops: readonly string[],
    private readonly decode: (ids: readonly number[]) => string,
    private readonly reason: FinishReason = 'stop',
  ) {
    // A token carries at least one character (or one byte of one), so this many tokens cover any stop string.
    this.tailTokens = Math.max(...stops.map((stop) => Buffer.byteLength(stop))) + 2;
  }

  check(generatedIds: readonly number[]): FinishReason | null {
    const tail = this.decode(generatedIds.slice(-this.tailTokens));
    return this.stops.some((stop) => tail.includes(stop)) ? this.reason : null;
  }
}

/** The text up to the first stop string, which itself is left out. */
export function truncateAtStop(text: string, stops: readonly string[]): string {
  const cut = Math.min(...stops.map((stop) => text.indexOf(stop)).filter((index) => index >= 0));
  return Number.isFinite(cut) ? text.slice(0, cut) : text;
}
