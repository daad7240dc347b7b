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
