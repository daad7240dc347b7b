/** Receives tokens as they are generated. */
export interface Streamer {
  put(ids: readonly number[]): void;
  end(): void;
}

/**
 * Turns tokens into text as they arrive. Each step decodes a short window that starts a few tokens
 * back, so word-leading spaces and multi-byte characters split over byte-fallback tokens come out
 * right, and the cost per token stays constant however long the story grows. With `intervalMs`
 * it decodes at most that often (and at the end), keeping tokenizer work off the per-token path.
 */
export class TextStreamer implements Streamer {
  private readonly ids: number[];
  private prefixOffset: number;
  private readOffset: number;
  private lastFlushAt = -Infinity;

  constructor(
    private readonly decode: (ids: readonly number[]) => string,
    private readonly onText: (text: string) => void,
    promptIds: readonly number[] = [],
    private readonly intervalMs = 0,
  ) {
    this.ids = [...promptIds];
    this.readOffset = this.ids.length;
    this.prefixOffset = Math.max(0, this.readOffset - 5);
  }

  put(ids: readonly number[]): void {
    this.ids.push(...ids);
    if (this.intervalMs > 0) {
      const now = performance.now();
      if (now - this.lastFlushAt < this.intervalMs) return;
      this.lastFlushAt = now;
    }
    this.flush(false);
  }

  end(): void {
    this.flush(true);
  }

  private flush(final: boolean): void {
    const prefixText = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const text = this.decode(this.ids.slice(this.prefixOffset));
    // A trailing U+FFFD is an unfinished multi-byte character: wait for its remaining bytes.
    if (text.length <= prefixText.length || (!final && text.endsWith('\uFFFD'))) return;
    this.onText(text.slice(prefixText.length));
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
  }
}

/**
 * Holds back streamed text that might be the start of a stop string, so a client never sees
 * part of a stop string that the final text leaves out.
 */
export class StopStringHoldback {
  text = '';
  private emitted = 0;

  constructor(
    private readonly stops: readonly string[],
    private readonly onText: (text: string) => void,
  ) {}

  push(piece: string): void {
    this.text += piece;
    this.emitUpTo(this.safeEnd());
  }

  end(): void {
    const stopAt = Math.min(...this.stops.map((stop) => this.text.indexOf(stop)).filter((index) => index >= 0));
    this.emitUpTo(Number.isFinite(stopAt) ? stopAt : this.text.length);
  }

  private safeEnd(): number {
    let end = this.text.length;
    for (const stop of this.stops) {
      const found = this.text.indexOf(stop, Math.max(0, this.emitted - stop.length));
      if (found >= 0) end = Math.min(end, found);
      for (let keep = Math.min(stop.length - 1, this.text.length); keep > 0; keep--) {
        if (this.text.endsWith(stop.slice(0, keep))) {
          end = Math.min(end, this.text.length - keep);
          break;
        }
      }
    }
    return end;
  }

  private emitUpTo(end: number): void {
    if (end <= this.emitted) return;
    this.onText(this.text.slice(this.emitted, end));
    this.emitted = end;
  }
}
