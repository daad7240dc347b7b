import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePng } from '../engine/png/png';
import { MAX_PREVIEW_SIDE } from '../engine/image/preview';
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

  it('sends step previews downscaled, whatever the image size', async () => {
    const previews: string[] = [];
    await followJob(host, () => host.invoke('startImageJob', { model: sdFixture(), prompt: 'a red circle', steps: 3, seed: 1, width: 1024, height: 1024, previewEvery: 1 }), {
      onEvent: (event) => event.type === 'image-progress' && event.preview && previews.push(event.preview),
      resultOf: (event) => (event.type === 'image-done' ? event.result : undefined),
    });
    expect(previews.length).toBeGreaterThan(0);
    for (const preview of previews) {
      const image = decodePng(Buffer.from(preview.split(',')[1]!, 'base64'));
      expect(Math.max(image.width, image.height)).toBeLessThanOrEqual(MAX_PREVIEW_SIDE);
    }
  });
});
