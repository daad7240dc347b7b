import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApiError, ApiParams, ModelInfo, ProviderInfo, Settings } from '../../../native/contract';
import { useStudioApi } from '../api/StudioApiContext';
import type { CompareState } from './compareState';
import { seedImageJob, type ImageJobState } from './imageJobState';
import { initialJobState, type JobState } from './jobState';

export const queryKeys = {
  models: ['models'] as const,
  providers: ['providers'] as const,
  settings: ['settings'] as const,
  jobs: ['job'] as const,
  job: (jobId: string) => ['job', jobId] as const,
  imageJobs: ['image-job'] as const,
  imageJob: (jobId: string) => ['image-job', jobId] as const,
  compares: ['compare'] as const,
  compare: (compareId: string) => ['compare', compareId] as const,
};

/** Keys of state that only the event stream writes, never refetched. */
export function isEventFedKey(key: readonly unknown[]): boolean {
  return key[0] === queryKeys.jobs[0] || key[0] === queryKeys.imageJobs[0] || key[0] === queryKeys.compares[0];
}

export function useModels() {
  const api = useStudioApi();
  return useQuery<ModelInfo[], ApiError>({ queryKey: queryKeys.models, queryFn: () => api.listModels() });
}

export function useProviders() {
  const api = useStudioApi();
  return useQuery<ProviderInfo[], ApiError>({ queryKey: queryKeys.providers, queryFn: () => api.listProviders() });
}

export function useSettings() {
  const api = useStudioApi();
  return useQuery<Settings, ApiError>({ queryKey: queryKeys.settings, queryFn: () => api.getSettings() });
}

/** A job's state lives only in the cache, written by the event stream; there is nothing to fetch. */
export function useJob(jobId: string | null) {
  return useQuery<JobState>({ queryKey: queryKeys.job(jobId ?? ''), queryFn: skipToken }).data;
}

export function useStartTextJob() {
  const api = useStudioApi();
  const queryClient = useQueryClient();
  return useMutation<{ jobId: string }, ApiError, ApiParams<'startTextJob'>>({
    mutationFn: (request) => api.startTextJob(request),
    onSuccess: ({ jobId }) => {
      // Events may have arrived before the reply; only seed the job if none did.
      queryClient.setQueryData<JobState>(queryKeys.job(jobId), (current) => current ?? initialJobState);
    },
  });
}

/** An image job's state, written by the event stream like a text job's. */
export function useImageJob(jobId: string | null) {
  return useQuery<ImageJobState>({ queryKey: queryKeys.imageJob(jobId ?? ''), queryFn: skipToken }).data;
}

export function useStartImageJob() {
  const api = useStudioApi();
  const queryClient = useQueryClient();
  return useMutation<{ jobId: string }, ApiError, ApiParams<'startImageJob'>>({
    mutationFn: (request) => api.startImageJob(request),
    onSuccess: ({ jobId }) => {
      // The host announces `queued` before it replies, when this job's id was not yet known to be an image job's.
      const misfiled = queryClient.getQueryData<JobState>(queryKeys.job(jobId));
      queryClient.removeQueries({ queryKey: queryKeys.job(jobId), exact: true });
      queryClient.setQueryData<ImageJobState>(queryKeys.imageJob(jobId), (current) => seedImageJob(current, misfiled?.queuePosition ?? null));
    },
  });
}

/** A comparison's state, written by the event stream (its panes' jobs are in the job stores). */
export function useCompare(compareId: string | null) {
  return useQuery<CompareState>({ queryKey: queryKeys.compare(compareId ?? ''), queryFn: skipToken }).data;
}

export function useStartCompare() {
  const api = useStudioApi();
  return useMutation<{ jobId: string }, ApiError, ApiParams<'startCompare'>>({ mutationFn: (request) => api.startCompare(request) });
}

export function useCancelJob() {
  const api = useStudioApi();
  return useMutation<{ cancelled: boolean }, ApiError, string>({ mutationFn: (jobId) => api.cancelJob({ jobId }) });
}

export function useImportModel() {
  const api = useStudioApi();
  const queryClient = useQueryClient();
  return useMutation<ModelInfo, ApiError, string>({
    mutationFn: (path) => api.importModel({ path }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.models });
      void queryClient.invalidateQueries({ queryKey: queryKeys.settings });
    },
  });
}

export function useUpdateSettings() {
  const api = useStudioApi();
  const queryClient = useQueryClient();
  return useMutation<Settings, ApiError, ApiParams<'updateSettings'>>({
    mutationFn: (patch) => api.updateSettings(patch),
    onSuccess: (settings) => queryClient.setQueryData(queryKeys.settings, settings),
  });
}
