import type { CompareEvent, CompareMode, CompareResult } from '../../../native/contract';

/** A pane as the comparison announces it: its mode, and its job once queued (the job's own state is in the job stores). */
export interface ComparePaneState {
  index: number;
  mode: CompareMode;
  paneJobId: string | null;
  /** Set when the pane could not start. */
  error: string | null;
}

/** What the UI knows about one comparison, folded from its events. */
export interface CompareState {
  status: 'running' | 'done' | 'error';
  kind: 'text' | 'image';
  prompt: string;
  seed: number;
  panes: ComparePaneState[];
  result: CompareResult | null;
  error: string | null;
}

/** The events a comparison's state follows: its own, and the `error` a shell sends when the host dies under it. */
export type CompareStateEvent = CompareEvent | { type: 'error'; jobId: string; message: string };

export function applyCompareEvent(state: CompareState | undefined, event: CompareStateEvent): CompareState | undefined {
  if (event.type === 'compare-started') {
    const panes = event.modes.map((mode, index) => ({ index, mode, paneJobId: null, error: null }));
    return { status: 'running', kind: event.kind, prompt: event.prompt, seed: event.seed, panes, result: null, error: null };
  }
  if (!state || state.status !== 'running') return state;
  switch (event.type) {
    case 'compare-pane':
      return { ...state, panes: state.panes.map((pane) => (pane.index === event.index ? { ...pane, paneJobId: event.paneJobId, error: event.error } : pane)) };
    case 'compare-done':
      return { ...state, status: 'done', result: event.result };
    case 'error':
      return { ...state, status: 'error', error: event.message };
  }
}

export function isCompareActive(state: CompareState | undefined): boolean {
  return state?.status === 'running';
}

/** A comparison that can no longer finish, e.g. because the engine host crashed under it. */
export function failCompare(state: CompareState, message: string): CompareState {
  return state.status === 'running' ? { ...state, status: 'error', error: message } : state;
}
