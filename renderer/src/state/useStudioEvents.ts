import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { isCompareEvent, type HostEvent } from '../../../native/contract';
import { subscribeStudioEvents } from '../api/client';
import { useStudioConnection } from '../api/StudioApiContext';
import { applyCompareEvent, failCompare, type CompareState, type CompareStateEvent } from './compareState';
import { applyImageJobEvent, failImageJob, routeJobEvent, seedImageJob, type ImageJobState } from './imageJobState';
import { applyJobEvent, failJob, type JobState } from './jobState';
import { applyReportEvent, isReportEvent, type ReportState } from './reportState';
import { isEventFedKey, queryKeys } from './queries';

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
  for (const query of queryClient.getQueryCache().findAll({ queryKey: queryKeys.imageJobs })) {
    queryClient.setQueryData<ImageJobState>(query.queryKey, (current) => (current ? failImageJob(current, message) : current));
  }
  for (const query of queryClient.getQueryCache().findAll({ queryKey: queryKeys.compares })) {
    queryClient.setQueryData<CompareState>(query.queryKey, (current) => (current ? failCompare(current, message) : current));
  }
}

/** Folds a comparison's event into its state; an image comparison's pane jobs are filed as image jobs. */
function fileCompareEvent(queryClient: QueryClient, event: CompareStateEvent): void {
  const compare = queryClient.setQueryData<CompareState>(queryKeys.compare(event.jobId), (current) => applyCompareEvent(current, event));
  if (event.type === 'compare-pane' && event.paneJobId && compare?.kind === 'image') {
    // The pane job's `queued` came before its id was known to be an image job's: move it over.
    const misfiled = queryClient.getQueryData<JobState>(queryKeys.job(event.paneJobId));
    queryClient.removeQueries({ queryKey: queryKeys.job(event.paneJobId), exact: true });
    queryClient.setQueryData<ImageJobState>(queryKeys.imageJob(event.paneJobId), (current) => seedImageJob(current, misfiled?.queuePosition ?? null));
  }
}

/** The app's one event subscription: text and image job events go into the query cache, host events into state. */
export function useStudioEvents(): StudioLiveStatus {
  const { transport } = useStudioConnection();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<StudioLiveStatus>({ host: null, connected: true });

  useEffect(() => {
    const refetchHostState = () => void queryClient.invalidateQueries({ predicate: (query) => !isEventFedKey(query.queryKey) });
    let lost = false;
    return subscribeStudioEvents(
      transport,
      (event) => {
        if (event.type === 'calibration') {
          queryClient.setQueryData(queryKeys.calibrationProgress(event.kind), event.point === null ? null : event);
          if (event.point === null) void queryClient.invalidateQueries({ queryKey: queryKeys.planPreviews });
          return;
        }
        // A finished run refreshes its family's cost level, so what the preview predicts moves with it.
        if (event.type === 'done' || event.type === 'image-done') void queryClient.invalidateQueries({ queryKey: queryKeys.planPreviews });
        if (event.type !== 'host') {
          if (isReportEvent(event) || (event.type === 'error' && queryClient.getQueryData(queryKeys.report(event.jobId)) !== undefined)) {
            queryClient.setQueryData<ReportState>(queryKeys.report(event.jobId), (current) => applyReportEvent(current, event));
            return;
          }
          if (isCompareEvent(event) || (event.type === 'error' && queryClient.getQueryData(queryKeys.compare(event.jobId)) !== undefined)) {
            fileCompareEvent(queryClient, event);
            return;
          }
          const imageKey = queryKeys.imageJob(event.jobId);
          const routed = routeJobEvent(event, queryClient.getQueryData(imageKey) !== undefined);
          if (routed.store === 'image') queryClient.setQueryData<ImageJobState>(imageKey, (current) => applyImageJobEvent(current, routed.event));
          else queryClient.setQueryData<JobState>(queryKeys.job(event.jobId), (current) => applyJobEvent(current, routed.event));
          // The host records an output in history before it announces it.
          if (event.type === 'done' || event.type === 'image-done') void queryClient.invalidateQueries({ queryKey: queryKeys.history });
          return;
        }
        setStatus((previous) => ({ ...previous, host: event }));
        if (event.status === 'crashed') failActiveJobs(queryClient, `The engine stopped unexpectedly${event.message ? `: ${event.message}` : ''}.`);
        if (event.status === 'ready') refetchHostState();
      },
      (connected) => {
        // Events sent while the stream is down are lost, so a running job could never finish here.
        if (!connected) failActiveJobs(queryClient, 'Lost the connection to the studio server during this run.');
        // Back after a drop (a restarted server, whose engine said `ready` before this tab reconnected): what failed
        // to load meanwhile is fetched again.
        else if (lost) refetchHostState();
        lost = !connected;
        setStatus((previous) => (previous.connected === connected ? previous : { ...previous, connected }));
      },
    );
  }, [transport, queryClient]);

  return status;
}
