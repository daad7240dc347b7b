import type { StudioEvent } from '../../native/contract';

/**
 * Tells the window, once a crashed engine is back, which of its work the crash ended: the
 * supervisor ends every open job with an `error` event; this counts them (queued apart from
 * running) and turns the next `ready` into one sentence the window can show.
 */
export class RestartReport {
  readonly #queued = new Set<string>();
  #lost: { queued: number; running: number } | null = null;

  /** Returns the event to forward: the same one, or the `ready` after a crash with its report. */
  observe(event: StudioEvent): StudioEvent {
    switch (event.type) {
      case 'queued':
        this.#queued.add(event.jobId);
        return event;
      case 'started':
      case 'image-started':
      case 'compare-started':
        this.#queued.delete(event.jobId);
        return event;
      case 'done':
      case 'image-done':
      case 'compare-done':
        this.#queued.delete(event.jobId);
        return event;
      case 'error':
        if (this.#lost) this.#lost[this.#queued.has(event.jobId) ? 'queued' : 'running']++;
        this.#queued.delete(event.jobId);
        return event;
      case 'host':
        return this.#host(event);
      default:
        return event;
    }
  }

  #host(event: Extract<StudioEvent, { type: 'host' }>): StudioEvent {
    if (event.status === 'crashed') this.#lost ??= { queued: 0, running: 0 };
    if (event.status !== 'ready' || !this.#lost) return event;
    const { queued, running } = this.#lost;
    this.#lost = null;
    return { ...event, message: restartMessage(queued, running) };
  }
}

function jobs(count: number): string {
  return count === 1 ? '1 job' : `${count} jobs`;
}

function restartMessage(queued: number, running: number): string {
  if (queued + running === 0) return 'The engine restarted; nothing was running, so no work was lost.';
  const parts = [running > 0 ? `${jobs(running)} running` : null, queued > 0 ? `${jobs(queued)} waiting in the queue` : null].filter(Boolean);
  return `The engine restarted. The crash stopped ${parts.join(' and ')}: run ${queued + running === 1 ? 'it' : 'them'} again. Saved work is kept.`;
}
