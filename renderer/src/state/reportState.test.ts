import { describe, expect, it } from 'vitest';
import { applyReportEvent, isReportEvent } from './reportState';

describe('the report state', () => {
  it('follows progress, keeps the report and folder when done, and tells a cancel from a failure', () => {
    let state = applyReportEvent(undefined, { type: 'report-progress', jobId: 'r', family: 'tales', done: 3, total: 10, step: 'measuring tales-teacher fp32 depth 2' });
    expect(state).toMatchObject({ status: 'running', done: 3, total: 10, step: 'measuring tales-teacher fp32 depth 2' });
    const report = { schemaVersion: 1 as const, createdAt: 'now', device: 'cpu', ep: 'cpu' as const, quick: true, memoryMb: 1, families: [], problems: [] };
    state = applyReportEvent(state, { type: 'report-done', jobId: 'r', report, folder: '/tmp/r', files: ['table1.md'] });
    expect(state).toMatchObject({ status: 'done', done: 10, report, folder: '/tmp/r', files: ['table1.md'] });
    expect(applyReportEvent(state, { type: 'error', jobId: 'r', message: 'late' })).toBe(state);
    expect(applyReportEvent(undefined, { type: 'error', jobId: 'r', message: 'Report cancelled; the tables …' })?.status).toBe('cancelled');
    expect(applyReportEvent(undefined, { type: 'error', jobId: 'r', message: 'The report failed: disk full' })?.status).toBe('error');
    expect(isReportEvent({ type: 'report-progress' })).toBe(true);
    expect(isReportEvent({ type: 'progress' })).toBe(false);
  });
});
