import { keepPreviousData, skipToken, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { ApiError, ApiParams, ApiResult, ApiServerStatus, CalibrationResult, ReportFolder, EnergyStatus, HistoryItem, HistoryPage, HistoryQuery, ImageParametersReading, ModelInfo, PlanPreview, ProviderInfo, Settings, StudioEvent } from '../../../native/contract';
import { useStudioApi } from '../api/StudioApiContext';
import type { CompareState } from './compareState';
import type { ReportState } from './reportState';
import { seedImageJob, type ImageJobState } from './imageJobState';
import { initialJobState, type JobState } from './jobState';

export const queryKeys = {
  models: ['models'] as const,
  providers: ['providers'] as const,
  energy: ['energy'] as const,
  settings: ['settings'] as const,
  dataNotices: ['data-notices'] as const,
  apiServer: ['api-server'] as const,
  jobs: ['job'] as const,
  job: (jobId: string) => ['job', jobId] as const,
  imageJobs: ['image-job'] as const,
  imageJob: (jobId: string) => ['image-job', jobId] as const,
  history: ['history'] as const,
  historyPage: (query: HistoryQuery) => ['history', 'page', query] as const,
  historyEntry: (id: string) => ['history', 'entry', id] as const,
  planPreviews: ['plan-preview'] as const,
  planPreview: (params: ApiParams<'planPreview'>) => ['plan-preview', params] as const,
  calibrationProgress: (kind: 'text' | 'image') => ['calibration-progress', kind] as const,
  compares: ['compare'] as const,
  compare: (compareId: string) => ['compare', compareId] as const,
  report: (jobId: string) => ['report', jobId] as const,
};

export type CalibrationProgressEvent = Extract<StudioEvent, { type: 'calibration' }>;

/** Keys of state that only the event stream writes, never refetched. */
export function isEventFedKey(key: readonly unknown[]): boolean {
  return key[0] === queryKeys.jobs[0] || key[0] === queryKeys.imageJobs[0] || key[0] === queryKeys.calibrationProgress('text')[0] || key[0] === queryKeys.compares[0] || key[0] === queryKeys.report('')[0];
}

export function useModels() {
  const api = useStudioApi();
  return useQuery<ModelInfo[], ApiError>({ queryKey: queryKeys.models, queryFn: () => api.listModels() });
}

export function useProviders() {
  const api = useStudioApi();
  return useQuery<ProviderInfo[], ApiError>({ queryKey: queryKeys.providers, queryFn: () => api.listProviders() });
}

/** The energy readers and the estimate's assumptions: they change only with the machine's power state, so a minute's staleness is fine. */
export function useEnergyStatus() {
  const api = useStudioApi();
  return useQuery<EnergyStatus, ApiError>({ queryKey: queryKeys.energy, queryFn: () => api.getEnergyStatus(), staleTime: 60_000 });
}

export function useSettings() {
  const api = useStudioApi();
  return useQuery<Settings, ApiError>({ queryKey: queryKeys.settings, queryFn: () => api.getSettings() });
}

/** What the host found wrong with its data folder; a failed save can come with any finished job, so it is asked again now and then. */
export function useDataNotices() {
  const api = useStudioApi();
  return useQuery<string[], ApiError>({ queryKey: queryKeys.dataNotices, queryFn: () => api.getDataNotices(), refetchInterval: 15_000 });
}

/** The local API server's address and this launch's token, as the host runs it now. */
export function useApiServerStatus() {
  const api = useStudioApi();
  return useQuery<ApiServerStatus, ApiError>({ queryKey: queryKeys.apiServer, queryFn: () => api.getApiServerStatus() });
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

/** The model list and the settings that hold the imported folders, after a folder was added or removed. */
function refetchModelList(queryClient: QueryClient): void {
  void queryClient.invalidateQueries({ queryKey: queryKeys.models });
  void queryClient.invalidateQueries({ queryKey: queryKeys.settings });
}

export function useImportModel() {
  const api = useStudioApi();
  const queryClient = useQueryClient();
  return useMutation<ModelInfo, ApiError, string>({ mutationFn: (path) => api.importModel({ path }), onSuccess: () => refetchModelList(queryClient) });
}

export function useRemoveModel() {
  const api = useStudioApi();
  const queryClient = useQueryClient();
  return useMutation<{ removed: string }, ApiError, string>({ mutationFn: (model) => api.removeModel({ model }), onSuccess: () => refetchModelList(queryClient) });
}

export function useRevealModel() {
  const api = useStudioApi();
  return useMutation<{ path: string }, ApiError, string>({ mutationFn: (model) => api.revealModel({ model }) });
}

export function useVerifyModel() {
  const api = useStudioApi();
  return useMutation<ApiResult<'verifyModel'>, ApiError, string>({ mutationFn: (model) => api.verifyModel({ model }) });
}

export function useUpdateSettings() {
  const api = useStudioApi();
  const queryClient = useQueryClient();
  return useMutation<Settings, ApiError, ApiParams<'updateSettings'>>({
    mutationFn: (patch) => api.updateSettings(patch),
    onSuccess: (settings, patch) => {
      queryClient.setQueryData(queryKeys.settings, settings);
      // A lower limit drops the oldest outputs at once.
      if (patch.historyLimit !== undefined) void queryClient.invalidateQueries({ queryKey: queryKeys.history });
      if (patch.apiServer !== undefined) void queryClient.invalidateQueries({ queryKey: queryKeys.apiServer });
    },
  });
}

/** A page of history; kept while the next query loads, so the gallery does not flash empty as the user types. */
export function useHistory(query: HistoryQuery) {
  const api = useStudioApi();
  return useQuery<HistoryPage, ApiError>({ queryKey: queryKeys.historyPage(query), queryFn: () => api.listHistory(query), placeholderData: (previous) => previous });
}

export function useHistoryEntry(id: string | null) {
  const api = useStudioApi();
  return useQuery<HistoryItem, ApiError>({ queryKey: queryKeys.historyEntry(id ?? ''), queryFn: id ? () => api.getHistoryEntry({ id }) : skipToken });
}

export function useDeleteHistoryEntry() {
  const api = useStudioApi();
  const queryClient = useQueryClient();
  return useMutation<{ deleted: true }, ApiError, string>({
    mutationFn: (id) => api.deleteHistoryEntry({ id }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: queryKeys.history }),
  });
}

export function useReadImageParameters() {
  const api = useStudioApi();
  return useMutation<ImageParametersReading, ApiError, string>({ mutationFn: (png) => api.readImageParameters({ png }) });
}

/** What λ would run, refetched as the slider moves; the last answer stays on screen while the next one comes. */
export function usePlanPreview(params: ApiParams<'planPreview'> | null) {
  const api = useStudioApi();
  return useQuery<PlanPreview, ApiError>({
    queryKey: params ? queryKeys.planPreview(params) : queryKeys.planPreviews,
    queryFn: params ? () => api.planPreview(params) : skipToken,
    placeholderData: keepPreviousData,
  });
}

/** The latest progress of a family's calibration, written by the event stream; null once none is running. */
export function useCalibrationProgress(kind: 'text' | 'image') {
  return useQuery<CalibrationProgressEvent | null>({ queryKey: queryKeys.calibrationProgress(kind), queryFn: skipToken }).data ?? null;
}

export function useCalibrate() {
  const api = useStudioApi();
  const queryClient = useQueryClient();
  return useMutation<CalibrationResult[], ApiError, ApiParams<'calibrate'>>({
    mutationFn: (params) => api.calibrate(params),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.planPreviews }),
  });
}

/** A report run's state, written by the event stream. */
export function useReport(jobId: string | null) {
  return useQuery<ReportState>({ queryKey: queryKeys.report(jobId ?? ''), queryFn: skipToken }).data;
}

export function useStartReport() {
  const api = useStudioApi();
  return useMutation<{ jobId: string }, ApiError, ApiParams<'startReport'>>({ mutationFn: (request) => api.startReport(request) });
}

export function useExportReport() {
  const api = useStudioApi();
  return useMutation<ReportFolder, ApiError, ApiParams<'exportReport'>>({ mutationFn: (request) => api.exportReport(request) });
}
