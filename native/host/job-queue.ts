interface QueuedJob {
  id: string;
  run: () => Promise<void>;
  /** Called when the job leaves the queue without running. */
  dropped: () => void;
}

/** Runs one job per key at a time (one generation per model); later jobs for that key wait in order. */
export class KeyedJobQueue {
  private readonly waiting = new Map<string, QueuedJob[]>();
  private readonly running = new Set<string>();

  /** Queues a job; returns how many jobs are ahead of it (0 = it starts now). */
  enqueue(key: string, job: QueuedJob): number {
    const line = this.waiting.get(key) ?? [];
    line.push(job);
    this.waiting.set(key, line);
    const ahead = line.length - 1 + (this.running.has(key) ? 1 : 0);
    // Start on a microtask, so the caller can announce the job before it runs.
    queueMicrotask(() => this.pump(key));
    return ahead;
  }

  /** Removes a job that has not started yet; returns false when it is not waiting. */
  drop(id: string): boolean {
    for (const line of this.waiting.values()) {
      const index = line.findIndex((job) => job.id === id);
      if (index >= 0) {
        line.splice(index, 1)[0]!.dropped();
        return true;
      }
    }
    return false;
  }

  private pump(key: string): void {
    if (this.running.has(key)) return;
    const next = this.waiting.get(key)?.shift();
    if (!next) return;
    this.running.add(key);
    void next.run().finally(() => {
      this.running.delete(key);
      this.pump(key);
    });
  }
}
