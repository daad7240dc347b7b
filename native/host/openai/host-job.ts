import { ApiError, type StudioEvent, type TextGenerationRequest, type TextResult } from '../../contract';
import type { StudioHost } from '../studio-host';

export interface HostJob {
  jobId: string;
  /** The job's result on `done` (finishReason 'cancelled' once cancelled); rejects on its `error` event. */
  result: Promise<TextResult>;
  /** Passes the job's streamed text on (stop strings already held back), starting with what came before. */
  onText(listener: (text: string) => void): void;
}

/**
 * Starts a text job on the host and follows its events; aborting `signal` (the client left) cancels
 * the job, which stops within one token. Rejects when the host refuses the request (bad parameters,
 * a prompt too long, a model that will not load), before any event of the job matters.
 */
export async function startHostJob(host: StudioHost, request: TextGenerationRequest, signal: AbortSignal): Promise<HostJob> {
  let jobId: string | null = null;
  const early: StudioEvent[] = [];
  const pendingText: string[] = [];
  let textListener: ((text: string) => void) | null = null;
  let settle!: { resolve(result: TextResult): void; reject(error: unknown): void };
  const result = new Promise<TextResult>((resolve, reject) => (settle = { resolve, reject }));
  result.catch(() => {}); // The caller awaits it; a failure before it does is not an unhandled rejection.

  const cancel = () => void host.invoke('cancelJob', { jobId: jobId! }).catch(() => {});
  const finish = () => {
    unsubscribe();
    signal.removeEventListener('abort', cancel);
  };
  const handle = (event: StudioEvent) => {
    if (event.type === 'host' || event.jobId !== jobId) return;
    if (event.type === 'tokens' && event.text) {
      if (textListener) textListener(event.text);
      else pendingText.push(event.text);
    }
    if (event.type === 'done') {
      finish();
      settle.resolve(event.result);
    }
    if (event.type === 'error') {
      finish();
      settle.reject(new ApiError('internal', event.message));
    }
  };
  const unsubscribe = host.onEvent((event) => (jobId ? handle(event) : early.push(event)));

  try {
    ({ jobId } = await host.invoke('startTextJob', request));
  } catch (error) {
    unsubscribe();
    throw error;
  }
  // The client may have left while the model was loading.
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  early.splice(0).forEach(handle);
  return {
    jobId,
    result,
    onText: (listener) => {
      pendingText.splice(0).forEach(listener);
      textListener = listener;
    },
  };
}
