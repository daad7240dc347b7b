import { ApiError, type GenerationConfig, type StudioEvent, type TextGenerationRequest, type TextResult } from '../contract';
import type { StudioHost } from '../host/studio-host';

export interface TextJobHooks {
  onText?(text: string): void;
  /** Said once the job starts, when the requested execution provider could not be used. */
  onFallback?(reason: string): void;
  onStarted?(config: GenerationConfig): void;
  signal?: AbortSignal;
}

/** Starts a text job on the host and waits for its result, passing streamed text on as it comes. */
export async function runTextJob(host: StudioHost, request: TextGenerationRequest, hooks: TextJobHooks = {}): Promise<TextResult> {
  let jobId: string | null = null;
  const early: StudioEvent[] = [];
  return new Promise<TextResult>((resolve, reject) => {
    const handle = (event: StudioEvent) => {
      if (event.type === 'host' || event.jobId !== jobId) return;
      if (event.type === 'started') {
        hooks.onStarted?.(event.config);
        if (event.fallbackReason) hooks.onFallback?.(event.fallbackReason);
      }
      if (event.type === 'tokens') hooks.onText?.(event.text);
      if (event.type === 'done') finish(() => resolve(event.result));
      if (event.type === 'error') finish(() => reject(new ApiError('internal', event.message)));
    };
    const unsubscribe = host.onEvent((event) => (jobId ? handle(event) : early.push(event)));
    const finish = (settle: () => void) => {
      unsubscribe();
      settle();
    };
    host
      .invoke('startTextJob', request)
      .then(({ jobId: started }) => {
        jobId = started;
        hooks.signal?.addEventListener('abort', () => void host.invoke('cancelJob', { jobId: started }));
        early.splice(0).forEach(handle);
      })
      .catch((error: unknown) => finish(() => reject(error)));
  });
}
