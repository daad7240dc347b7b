import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyModel, sdFixture, temporaryDir } from '../testing/fixtures';
import { followJob } from './follow-job';
import { StudioHost } from './studio-host';

const host = new StudioHost({ dataDir: temporaryDir(), bundledModelsDir: null });
afterAll(() => host.dispose());

describe('image resource bounds (finding 8)', () => {
  it('refuses a declared resolution whose memory estimate is too big, before allocating it', async () => {
    const dir = copyModel(sdFixture());
    const config = path.join(dir, 'unet', 'config.json');
    const unet = fs.existsSync(config) ? JSON.parse(fs.readFileSync(config, 'utf8')) : {};
    fs.writeFileSync(config, JSON.stringify({ ...unet, sample_size: 512 }));
    await expect(host.invoke('startImageJob', { model: dir, prompt: 'a face', steps: 1 })).rejects.toThrow(/at its declared resolution, 4096x4096, would need about 8\.0 GB, more than the 2\.0 GB an image may take/);
    await expect(host.invoke('startImageJob', { model: dir, prompt: 'a face', steps: 1, width: 3072, height: 3072 })).rejects.toThrow(/3072x3072 would need about/);
  });

  it('sends at most ten previews a second however fast the steps are', async () => {
    let previews = 0;
    const startedAt = performance.now();
    await followJob(host, () => host.invoke('startImageJob', { model: sdFixture(), prompt: 'a red circle', steps: 16, seed: 1, previewEvery: 1 }), {
      onEvent: (event) => void (event.type === 'image-progress' && event.preview && previews++),
      resultOf: (event) => (event.type === 'image-done' ? event.images[0] : undefined),
    });
    expect(previews).toBeGreaterThan(0);
    expect(previews).toBeLessThanOrEqual(Math.floor((performance.now() - startedAt) / 100) + 1);
  });
});
