import { ApiError, type GenerationConfig, type ImageGenerationRequest, type ImageResult, type StudioEvent, type TextGenerationRequest, type TextResult, type TokenLogprob } from '../../contract';
import { invoke, type HostConnection } from '../host-connection';

type JobEvent = Exclude<StudioEvent, { type: 'host' }>;
export type TextListener = (text: string, logprobs: readonly TokenLogprob[] | undefined) => void;

interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): { promise: Promise<T>; settle: Settle<T> } {
  let settle!: Settle<T>;
  const promise = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  promise.catch(() => {}); // The caller awaits it; a failure before it does is not an unhandled rejection.
  return { promise, settle };
}

/**
 * Starts a job and passes each of its events to `handle` (those sent before its id was known
 * included) until `handle` returns true; aborting `signal` (the client left) cancels the job, which
 * stops within one token or step. Rejects when the host refuses the request, before any event matters.
 */
async function followJob(host: HostConnection, start: () => Promise<{ jobId: string }>, signal: AbortSignal, handle: (event: JobEvent) => boolean): Promise<string> {
  let jobId: string | null = null;
  const early: StudioEvent[] = [];
  const cancel = () => void invoke(host, 'cancelJob', { jobId: jobId! }).catch(() => {});
  const receive = (event: StudioEvent) => {
    if (event.type === 'host' || event.jobId !== jobId || !handle(event)) return;
    unsubscribe();
    signal.removeEventListener('abort', cancel);
  };
  const unsubscribe = host.onEvent((event) => (jobId ? receive(event) : early.push(event)));
  try {
    ({ jobId } = await start());
  } catch (error) {
    unsubscribe();
    throw error;
  }
  // The client may have left while the model was loading.
  if (signal.aborted) cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  early.splice(0).forEach(receive);
  return jobId;
}

export interface HostJob {
  jobId: string;
  /** Settles when the job starts running (after any queue): the model that runs it and the settings in force. */
  started: Promise<{ model: string; config: GenerationConfig }>;
  /** The job's result on `done` (finishReason 'cancelled' once cancelled); rejects on its `error` event. */
  result: Promise<TextResult>;
  /** Passes the job's streamed text on (stop strings already held back), starting with what came before. */
  onText(listener: TextListener): void;
}

/** Starts a text job on the host and follows it. */
export async function startHostJob(host: HostConnection, request: TextGenerationRequest, signal: AbortSignal): Promise<HostJob> {
  const pendingText: Parameters<TextListener>[] = [];
  let textListener: TextListener | null = null;
  const started = deferred<{ model: string; config: GenerationConfig }>();
  const result = deferred<TextResult>();
  const jobId = await followJob(host, () => invoke(host, 'startTextJob', request), signal, (event) => {
    if (event.type === 'started') started.settle.resolve({ model: event.model, config: event.config });
    if (event.type === 'tokens' && event.text) {
      if (textListener) textListener(event.text, event.logprobs);
      else pendingText.push([event.text, event.logprobs]);
    }
    if (event.type === 'done') result.settle.resolve(event.result);
    if (event.type === 'error') {
      const failure = new ApiError('internal', event.message);
      started.settle.reject(failure);
      result.settle.reject(failure);
    }
    return event.type === 'done' || event.type === 'error';
  });
  return {
    jobId,
    started: started.promise,
    result: result.promise,
    onText: (listener) => {
      pendingText.splice(0).forEach((args) => listener(...args));
      textListener = listener;
    },
  };
}

export interface FinishedImage {
  model: string;
  operatingPoint: Extract<StudioEvent, { type: 'image-started' }>['operatingPoint'];
  result: ImageResult;
}

/** Runs an image job (a batch of one or more) on the host to its end: one entry per image. */
export async function runImageJob(host: HostConnection, request: ImageGenerationRequest, signal: AbortSignal): Promise<FinishedImage[]> {
  const finished = deferred<FinishedImage[]>();
  let started: Omit<FinishedImage, 'result'> | null = null;
  await followJob(host, () => invoke(host, 'startImageJob', request), signal, (event) => {
    if (event.type === 'image-started') started = { model: event.model, operatingPoint: event.operatingPoint };
    if (event.type === 'image-done') finished.settle.resolve(event.images.map((result) => ({ ...started!, result })));
    if (event.type === 'error') finished.settle.reject(new ApiError('internal', event.message));
    return event.type === 'image-done' || event.type === 'error';
  });
  return finished.promise;
}
