import { describe, expect, it } from 'vitest';
import { JobTracker } from './job-tracker';

describe('JobTracker', () => {
  it('keeps jobs open from queued/started until done/error, and ends the open ones on demand', () => {
    const jobs = new JobTracker();
    jobs.observe({ type: 'queued', jobId: 'a', model: 'm', position: 0 });
    jobs.observe({ type: 'queued', jobId: 'b', model: 'm', position: 1 });
    // The tracker reads only the job id and type; the generation config is irrelevant here.
    jobs.observe({ type: 'started', jobId: 'c', model: 'm', ep: 'cpu', fallbackReason: null, promptTokens: 3, config: {} as never });
    jobs.observe({ type: 'tokens', jobId: 'a', ids: [1], text: 'x' });
    jobs.observe({ type: 'error', jobId: 'b', message: 'no' });
    jobs.observe({ type: 'host', status: 'ready', message: null });
    expect(jobs.openJobs).toEqual(['a', 'c']);
    expect(jobs.abandonAll('engine gone')).toEqual([
      { type: 'error', jobId: 'a', message: 'engine gone' },
      { type: 'error', jobId: 'c', message: 'engine gone' },
    ]);
    expect(jobs.openJobs).toEqual([]);
  });

  it('tracks image jobs the same way: image-started opens one, image-done or error ends it', () => {
    const jobs = new JobTracker();
    // The tracker reads only the job id and type; parameters and results are irrelevant here.
    jobs.observe({ type: 'queued', jobId: 'i1', model: 'sd', position: 0 });
    jobs.observe({ type: 'image-started', jobId: 'i2', model: 'sd', ep: 'cpu', fallbackReason: null, parameters: {} as never, operatingPoint: null });
    jobs.observe({ type: 'image-progress', jobId: 'i2', step: 1, steps: 6, precision: 'fp32', preview: null });
    jobs.observe({ type: 'image-started', jobId: 'i3', model: 'sd', ep: 'cpu', fallbackReason: null, parameters: {} as never, operatingPoint: null });
    jobs.observe({ type: 'image-done', jobId: 'i3', images: [] as never });
    expect(jobs.openJobs).toEqual(['i1', 'i2']);
    expect(jobs.abandonAll('engine gone').map((event) => event.type === 'error' && event.jobId)).toEqual(['i1', 'i2']);
  });

  it('keeps a comparison open from compare-started until compare-done, so a dead host ends it too', () => {
    const jobs = new JobTracker();
    jobs.observe({ type: 'compare-started', jobId: 'c1', kind: 'text', prompt: 'x', seed: 1, modes: [] });
    jobs.observe({ type: 'compare-started', jobId: 'c2', kind: 'image', prompt: 'x', seed: 1, modes: [] });
    jobs.observe({ type: 'compare-pane', jobId: 'c1', index: 0, paneJobId: 'p1', error: null });
    jobs.observe({ type: 'compare-done', jobId: 'c2', result: {} as never });
    expect(jobs.openJobs).toEqual(['c1']);
  });
});
