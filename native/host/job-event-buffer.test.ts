import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../contract';
import { JobEventBuffer } from './job-event-buffer';

const entry = (id: number) => ({ id, token: `t${id}`, logprob: -1, top: [] });

describe('the job event buffer', () => {
  it('coalesces text with its ids and logprobs until it flushes', () => {
    const events: JobEvent[] = [];
    const buffer = new JobEventBuffer('job', (event) => events.push(event), 60_000);
    buffer.addText(' upon', [2], [entry(2)]);
    buffer.addText(' a', [3], [entry(3)]);
    expect(events).toHaveLength(0);
    buffer.flush();
    expect(events).toEqual([{ type: 'tokens', jobId: 'job', ids: [2, 3], text: ' upon a', logprobs: [entry(2), entry(3)] }]);
    buffer.addText(' time', [4]);
    buffer.flush();
    expect(events[1]).toEqual({ type: 'tokens', jobId: 'job', ids: [4], text: ' time' });
  });
});
