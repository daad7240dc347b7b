/**
 * When to restart a crashed engine host: after a growing delay, and not at all once it has
 * crashed more than `maxRestarts` times within `windowMs` (a host that dies on start would
 * otherwise spin forever). Crashes older than the window are forgotten, so a host that has run
 * for a while gets its full allowance back.
 */
export interface RestartPolicyOptions {
  maxRestarts: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  maxRestarts: 3,
  windowMs: 30_000,
  baseDelayMs: 500,
  maxDelayMs: 4_000,
};

export type RestartDecision =
  | { action: 'restart'; delayMs: number; attempt: number; maxRestarts: number }
  | { action: 'give-up'; crashes: number; windowMs: number };

export class RestartPolicy {
  #crashes: number[] = [];

  constructor(
    readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY,
    private readonly now: () => number = Date.now,
  ) {
    if (options.maxRestarts < 0 || options.windowMs <= 0 || options.baseDelayMs < 0 || options.maxDelayMs < options.baseDelayMs) {
      throw new Error(`Invalid restart policy ${JSON.stringify(options)}: need maxRestarts ≥ 0, windowMs > 0, 0 ≤ baseDelayMs ≤ maxDelayMs.`);
    }
  }

  /** Records a crash now and says what to do about it. */
  recordCrash(): RestartDecision {
    const now = this.now();
    this.#crashes = this.#crashes.filter((at) => now - at < this.options.windowMs);
    this.#crashes.push(now);
    const crashes = this.#crashes.length;
    if (crashes > this.options.maxRestarts) return { action: 'give-up', crashes, windowMs: this.options.windowMs };
    const delayMs = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (crashes - 1));
    return { action: 'restart', delayMs, attempt: crashes, maxRestarts: this.options.maxRestarts };
  }

  /** Forgets past crashes (the user asked for a restart by hand). */
  reset(): void {
    this.#crashes = [];
  }
}
