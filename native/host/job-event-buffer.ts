import type { JobEvent, RunMetrics, TokenLogprob } from '../contract';

/**
 * Coalesces a job's token stream: a small model makes a thousand tokens a second, more than
 * an event stream or a UI should carry one by one. Text goes out at most every `intervalMs`.
 */
export class JobEventBuffer {
  private text = '';
  private ids: number[] = [];
  private logprobs: TokenLogprob[] | null = null;
  /** Where the live metrics come from; read only when the buffer flushes, not on every token. */
  private metrics: (() => RunMetrics) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly jobId: string,
    private readonly emit: (event: JobEvent) => void,
    private readonly intervalMs = 33,
  ) {}

  addText(text: string, ids: readonly number[], logprobs?: readonly TokenLogprob[]): void {
    this.text += text;
    this.ids.push(...ids);
    if (logprobs) (this.logprobs ??= []).push(...logprobs);
    this.schedule();
  }

  watchMetrics(source: () => RunMetrics): void {
    this.metrics = source;
    this.schedule();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.text || this.ids.length) this.emit({ type: 'tokens', jobId: this.jobId, ids: this.ids, text: this.text, ...(this.logprobs && { logprobs: this.logprobs }) });
    if (this.metrics) this.emit({ type: 'metrics', jobId: this.jobId, metrics: this.metrics() });
    this.text = '';
    this.ids = [];
    this.logprobs = null;
    this.metrics = null;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }
}
