import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { HostEvent } from '../../../native/contract';
import { subscribeStudioEvents } from '../api/client';
import { useStudioConnection } from '../api/StudioApiContext';
import { applyJobEvent, failJob, type JobState } from './jobState';
import { queryKeys } from './queries';

export interface StudioLiveStatus {
  /** The latest word from the shell about the engine host; null until one arrives. */
  host: HostEvent | null;
  /** False while the event stream is down (web mode reconnects on its own). */
  connected: boolean;
}

function failActiveJobs(queryClient: QueryClient, message: string): void {
  for (const query of queryClient.getQueryCache().findAll({ queryKey: queryKeys.jobs })) {
    queryClient.setQueryData<JobState>(query.queryKey, (current) => (current ? failJob(current, message) : current));
  }
}

/** The app's one event subscription: job events go into the query cache, host events into state. */
export function useStudioEvents(): StudioLiveStatus {
  const { transport } = useStudioConnection();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<StudioLiveStatus>({ host: null, connected: true });

  useEffect(() => {
    return subscribeStudioEvents(
      transport,
      (event) => {
        if (event.type !== 'host') {
          queryClient.setQueryData<JobState>(queryKeys.job(event.jobId), (current) => applyJobEvent(current, event));
          return;
        }
        setStatus((previous) => ({ ...previous, host: event }));
        if (event.status === 'crashed') failActiveJobs(queryClient, `The engine stopped unexpectedly${event.message ? `: ${event.message}` : ''}.`);
        if (event.status === 'ready') void queryClient.invalidateQueries({ predicate: (query) => query.queryKey[0] !== queryKeys.jobs[0] });
      },
      (connected) => {
        // Events sent while the stream is down are lost, so a running job could never finish here.
        if (!connected) failActiveJobs(queryClient, 'Lost the connection to the studio server during this run.');
        setStatus((previous) => (previous.connected === connected ? previous : { ...previous, connected }));
      },
    );
  }, [transport, queryClient]);

  return status;
}
