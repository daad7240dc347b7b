interface PoolEntry<T> {
  value: Promise<T>;
  sizeBytes: number;
  leases: number;
  lastUsed: number;
}

export interface Lease<T> {
  value: T;
  release(): void;
}

export interface ReleasableSession {
  release(): Promise<void>;
}

/**
 * Warm sessions kept for reuse, bounded by an estimate of the memory they hold. When a new
 * session pushes the total over budget, the least recently used idle sessions are closed.
 * One pool can hold sessions of several kinds (the host keeps text and image sessions under one budget).
 */
export class SessionPool<T extends ReleasableSession = ReleasableSession> {
  private readonly entries = new Map<string, PoolEntry<T>>();
  private clock = 0;

  constructor(private budgetBytes: number) {}

  setBudget(bytes: number): void {
    this.budgetBytes = bytes;
    this.evict();
  }

  /**
   * `key` names one session file and its options, so the session found under it is the kind `open` makes;
   * `sizeBytes` is asked only when a session is opened (reading a graph to estimate it is not free).
   */
  async acquire<V extends T>(key: string, sizeBytes: () => number, open: () => Promise<V>): Promise<Lease<V>> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { value: open(), sizeBytes: sizeBytes(), leases: 0, lastUsed: 0 };
      this.entries.set(key, entry);
      entry.value.catch(() => this.entries.delete(key));
    }
    entry.leases++;
    entry.lastUsed = ++this.clock;
    try {
      const value = (await entry.value) as V;
      this.evict();
      let released = false;
      return {
        value,
        release: () => {
          if (released) return;
          released = true;
          entry.leases--;
          this.evict();
        },
      };
    } catch (error) {
      entry.leases--;
      throw error;
    }
  }

  /** Bytes held by the sessions in the pool. */
  heldBytes(): number {
    let total = 0;
    for (const entry of this.entries.values()) total += entry.sizeBytes;
    return total;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  async closeAll(): Promise<void> {
    const values = [...this.entries.values()].map((entry) => entry.value);
    this.entries.clear();
    await Promise.allSettled(values.map(async (value) => (await value).release()));
  }

  private evict(): void {
    const idle = [...this.entries.entries()].filter(([, entry]) => entry.leases === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [key, entry] of idle) {
      if (this.heldBytes() <= this.budgetBytes) return;
      this.entries.delete(key);
      void entry.value.then((value) => value.release()).catch(() => undefined);
    }
  }
}
