import { afterAll, describe, expect, it } from 'vitest';
import type { ApiMethod, StudioEvent } from '../contract';
import type { SessionPool } from '../engine/onnx/session-pool';
import { sdFixture, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { followJob } from './follow-job';
import { StudioHost } from './studio-host';

const host = new StudioHost({ dataDir: temporaryDir(), bundledModelsDir: null, modelPaths: [tinyStoriesOnnx(), sdFixture()] });
afterAll(() => host.dispose());

const run = (method: Extract<ApiMethod, 'startTextJob' | 'startImageJob'>, params: unknown) =>
  followJob(host, () => host.call(method, params) as Promise<{ jobId: string }>, { resultOf: (event: StudioEvent) => (event.type === 'done' || event.type === 'image-done' ? true : undefined) });

describe('the host’s warm sessions', () => {
  it('keeps text and image sessions in one pool, so Settings’ session memory bounds them together', async () => {
    await run('startTextJob', { model: tinyStoriesOnnx(), prompt: 'Once', maxNewTokens: 2 });
    await run('startImageJob', { model: sdFixture(), prompt: 'a face', steps: 2, seed: 1 });
    // The pool is private: the budget it enforces is what matters, and it can only count what it holds.
    const pool = (host as unknown as { sessions: SessionPool }).sessions;
    const keys = pool.keys();
    expect(keys.some((key) => key.includes('tinystories'))).toBe(true);
    expect(keys.some((key) => key.includes('unet'))).toBe(true);
  });
});
