import type { StudioEvent } from '../../contract';

/**
 * Which jobs, text or image, and comparisons the host has announced (`queued`, `started`/`image-started`,
 * `compare-started`) and not yet ended (`done`/`image-done`/`compare-done`/`error`).
 * When the host dies those jobs will never end on their own, so the supervisor ends them with an
 * `error` event and the window does not wait forever.
 */
export class JobTracker {
  readonly #open = new Set<string>();

  get openJobs(): string[] {
    return [...this.#open];
  }

  observe(event: StudioEvent): void {
    switch (event.type) {
      case 'queued':
      case 'started':
      case 'image-started':
      case 'compare-started':
        this.#open.add(event.jobId);
        break;
      case 'done':
      case 'image-done':
      case 'compare-done':
      case 'error':
        this.#open.delete(event.jobId);
        break;
      default:
        break;
    }
  }

  /** Ends every open job: returns one `error` event per job and forgets them. */
  abandonAll(message: string): StudioEvent[] {
    const events: StudioEvent[] = this.openJobs.map((jobId) => ({ type: 'error', jobId, message }));
    this.#open.clear();
    return events;
  }
}
