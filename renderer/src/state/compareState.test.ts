import { describe, expect, it } from 'vitest';
import type { CompareResult } from '../../../native/contract';
import { applyCompareEvent, failCompare } from './compareState';

const started = { type: 'compare-started' as const, jobId: 'c1', kind: 'text' as const, prompt: 'Once', seed: 7, modes: [{ lambda: 0 }, { lambda: 1 }] };

describe('a comparison folded from its events', () => {
  it('announces a pane per mode, learns each pane job as it is queued, and ends with the result', () => {
    let state = applyCompareEvent(undefined, started);
    expect(state).toMatchObject({ status: 'running', seed: 7, panes: [{ index: 0, paneJobId: null }, { index: 1, paneJobId: null }] });
    state = applyCompareEvent(state, { type: 'compare-pane', jobId: 'c1', index: 1, paneJobId: 'j2', error: null });
    expect(state!.panes.map((pane) => pane.paneJobId)).toEqual([null, 'j2']);
    const result = { compareId: 'c1', kind: 'text', prompt: 'Once', seed: 7, panes: [], gridPng: null } satisfies CompareResult;
    state = applyCompareEvent(state, { type: 'compare-done', jobId: 'c1', result });
    expect(state).toMatchObject({ status: 'done', result });
    // An ended comparison ignores what comes after.
    expect(applyCompareEvent(state, { type: 'error', jobId: 'c1', message: 'late' })).toBe(state);
    expect(failCompare(state!, 'crashed')).toBe(state);
  });

  it('keeps a pane that could not start, and ends on an error', () => {
    let state = applyCompareEvent(undefined, started);
    state = applyCompareEvent(state, { type: 'compare-pane', jobId: 'c1', index: 0, paneJobId: null, error: 'No model' });
    expect(state!.panes[0]).toMatchObject({ paneJobId: null, error: 'No model' });
    expect(applyCompareEvent(state, { type: 'error', jobId: 'c1', message: 'The engine stopped.' })).toMatchObject({ status: 'error', error: 'The engine stopped.' });
    expect(applyCompareEvent(undefined, { type: 'error', jobId: 'c1', message: 'x' })).toBeUndefined();
  });
});
