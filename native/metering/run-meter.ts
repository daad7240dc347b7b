import type { RunMetrics } from '../contract';

const MB = 1024 * 1024;
/** Reading RSS goes through /proc and can take a good part of a millisecond; memory moves slowly, so this often is enough. */
const RSS_SAMPLE_INTERVAL_MS = 250;

/**
 * Times one generation: time to first token, then the mean decode step after it.
 * ms/token is measured from the first token to the last, so prompt prefill is counted in TTFT only.
 */
export class RunMeter {
  private readonly startedAt: number;
  private firstTokenAt: number | null = null;
  private lastTokenAt: number | null = null;
  private tokens = 0;
  private peakRss = process.memoryUsage.rss();
  private rssSampledAt = -Infinity;

  constructor(
    private readonly promptTokens: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = this.now();
  }

  /** Takes a last memory sample; call when the run ends. */
  finish(): RunMetrics {
    this.sampleRss(this.now());
    return this.snapshot();
  }

  markToken(): void {
    const at = this.now();
    this.firstTokenAt ??= at;
    this.lastTokenAt = at;
    this.tokens++;
    if (at - this.rssSampledAt >= RSS_SAMPLE_INTERVAL_MS) this.sampleRss(at);
  }

  private sampleRss(at: number): void {
    this.rssSampledAt = at;
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
  }

  snapshot(): RunMetrics {
    const decodeSteps = this.tokens - 1;
    const msPerToken = decodeSteps > 0 ? (this.lastTokenAt! - this.firstTokenAt!) / decodeSteps : null;
    return {
      ttftMs: this.firstTokenAt === null ? null : this.firstTokenAt - this.startedAt,
      msPerToken,
      tokensPerSecond: msPerToken ? 1000 / msPerToken : null,
      totalMs: (this.lastTokenAt ?? this.now()) - this.startedAt,
      promptTokens: this.promptTokens,
      generatedTokens: this.tokens,
      peakRssMb: this.peakRss / MB,
      energyJ: null,
      energySource: null,
      energyJRange: null,
      meanWatts: null,
      joulesPerOutput: null,
      precisionShare: null,
    };
  }
}
