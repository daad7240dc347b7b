import type { Report, ReportDoneEvent, ReportProgressEvent } from '../../../native/contract';

/** What the Report view knows about one report run, folded from its events. */
export interface ReportState {
  status: 'running' | 'done' | 'error' | 'cancelled';
  done: number;
  total: number;
  step: string | null;
  report: Report | null;
  folder: string | null;
  files: string[];
  error: string | null;
}

export type ReportStateEvent = ReportProgressEvent | ReportDoneEvent | { type: 'error'; jobId: string; message: string };

export const startingReport = (): ReportState => ({ status: 'running', done: 0, total: 0, step: 'starting', report: null, folder: null, files: [], error: null });

export function isReportEvent(event: { type: string }): event is ReportProgressEvent | ReportDoneEvent {
  return event.type === 'report-progress' || event.type === 'report-done';
}

export function applyReportEvent(state: ReportState | undefined, event: ReportStateEvent): ReportState | undefined {
  const current = state ?? startingReport();
  if (current.status !== 'running') return current;
  switch (event.type) {
    case 'report-progress':
      return { ...current, done: event.done, total: event.total, step: event.step };
    case 'report-done':
      return { ...current, status: 'done', done: current.total, step: null, report: event.report, folder: event.folder, files: event.files };
    case 'error':
      return { ...current, status: /cancelled/i.test(event.message) ? 'cancelled' : 'error', error: event.message };
  }
}
