import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageGenerationRequestSchema, isImageJobEvent, type ImageGenerationRequest, type ImageJobEvent, type StudioEvent } from '../contract';
import { sdFixture, temporaryDir } from '../testing/fixtures';
import { followJob } from './follow-job';
import { StudioHost } from './studio-host';

let host: StudioHost;

beforeAll(() => {
  host = new StudioHost({ dataDir: temporaryDir(), bundledModelsDir: null });
});
afterAll(() => host.dispose());

async function batch(request: ImageGenerationRequest) {
  const events: ImageJobEvent[] = [];
  const images = await followJob(host, () => host.invoke('startImageJob', request), {
    onEvent: (event: StudioEvent) => {
      if (isImageJobEvent(event)) events.push(event);
    },
    resultOf: (event) => (event.type === 'image-done' ? event.images : undefined),
  });
  return { images, events };
}

const single = async (model: string, seed: number) => (await batch({ model, prompt: 'a red square', steps: 4, seed })).images[0]!;

describe('image batches', () => {
  it('makes seed, seed+1, … in one job (batched UNet calls), each image as its own seed makes it alone', async () => {
    const model = sdFixture();
    const { images, events } = await batch({ model, prompt: 'a red square', steps: 4, seed: 7, batch: 3, previewEvery: 2 });
    expect(images.map((image) => image.parameters.seed)).toEqual([7, 8, 9]);
    expect(images.every((image) => image.metrics.batchSize === 3)).toBe(true);
    expect(new Set(images.map((image) => image.png)).size).toBe(3);
    expect(images[1]!.png).toBe((await single(model, 8)).png);

    const started = events.find((event) => event.type === 'image-started');
    expect(started?.type === 'image-started' && started.seeds).toEqual([7, 8, 9]);
    const previews = events.filter((event) => event.type === 'image-progress' && event.preview !== null);
    expect(previews.map((event) => event.type === 'image-progress' && event.image).sort()).toEqual([0, 1, 2]);
  });

  it('runs one image after another where the UNet takes batch 1, with the same images', async () => {
    const model = sdFixture({ fixedBatch: true });
    const { images, events } = await batch({ model, prompt: 'a red square', steps: 4, seeds: [3, 42] });
    expect(images.map((image) => image.parameters.seed)).toEqual([3, 42]);
    expect(images[1]!.png).toBe((await single(model, 42)).png);
    const order = events.flatMap((event) => (event.type === 'image-progress' ? [`${event.image}:${event.step}`] : []));
    expect(order).toEqual(['0:1', '0:2', '0:3', '0:4', '1:1', '1:2', '1:3', '1:4']);
  });

  it('keeps each image of a batch in the history with its own seed', async () => {
    const model = sdFixture();
    await batch({ model, prompt: 'a blue batch', steps: 2, seed: 100, batch: 2 });
    const entries = (await host.invoke('listHistory', { search: 'a blue batch' })).entries;
    expect(entries.map((entry) => entry.kind === 'image' && entry.parameters.seed).sort()).toEqual([100, 101]);
  });

  it('refuses batches past four and seeds that disagree with the batch', () => {
    expect(ImageGenerationRequestSchema.safeParse({ prompt: 'x', batch: 5 }).error?.issues[0]?.message).toBe('batch must be 1 to 4 images');
    expect(ImageGenerationRequestSchema.safeParse({ prompt: 'x', batch: 2, seeds: [1, 2, 3] }).error?.issues[0]?.message).toBe('batch and seeds disagree: give batch N, or N seeds');
    expect(ImageGenerationRequestSchema.safeParse({ prompt: 'x', seed: 1, seeds: [1] }).success).toBe(false);
  });
});
