import { describe, expect, it } from 'vitest';
import { copyModel, sdFixture, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { runSoak } from '../testing/soak';

describe('a reduced soak (`npm run soak` runs 300 jobs)', () => {
  it('loses nothing over mixed jobs from 8 loopback clients at once', async () => {
    const figures = await runSoak({ jobs: 48, clients: 8, warmupJobs: 12, dataDir: temporaryDir(), textModel: copyModel(tinyStoriesOnnx()), imageModel: sdFixture() });
    expect(figures).toMatchObject({ failed: [], hangs: 0, lost: [], settingsIntact: true });
    expect(figures.finished + figures.cancelled + figures.refused).toBe(48 - 48 / 6);
  });
});
