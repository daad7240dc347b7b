import { ApiError, type StudioEvent } from '../contract';
import { invoke, type HostConnection } from './host-connection';

type JobEvent = Exclude<StudioEvent, { type: 'host' }>;

/**
 * Starts a job on the host and follows its events until it ends: `resultOf` recognises the event
 * that carries the result, an `error` event rejects. Events that arrive before the job id is known
 * are kept and replayed, since a job may start before its starter's promise settles.
 */
export function followJob<R>(
  host: HostConnection,
  start: () => Promise<{ jobId: string }>,
  options: { onEvent?(event: JobEvent): void; resultOf(event: JobEvent): R | undefined; signal?: AbortSignal },
): Promise<R> {
  let jobId: string | null = null;
  const early: StudioEvent[] = [];
  return new Promise<R>((resolve, reject) => {
    const handle = (event: StudioEvent) => {
      if (event.type === 'host' || event.jobId !== jobId) return;
      options.onEvent?.(event);
      const result = options.resultOf(event);
      if (result !== undefined) finish(() => resolve(result));
      if (event.type === 'error') finish(() => reject(new ApiError('internal', event.message)));
    };
    const unsubscribe = host.onEvent((event) => (jobId ? handle(event) : early.push(event)));
    const finish = (settle: () => void) => {
      unsubscribe();
      settle();
    };
    start()
      .then(({ jobId: started }) => {
        jobId = started;
        options.signal?.addEventListener('abort', () => void invoke(host, 'cancelJob', { jobId: started }));
        early.splice(0).forEach(handle);
      })
      .catch((error: unknown) => finish(() => reject(error)));
  });
}
