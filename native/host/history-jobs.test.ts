import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageGenerationRequest, ImageResult, TextGenerationRequest, TextResult } from '../contract';
import { followJob } from './follow-job';
import { encodePng } from '../engine/png/png';
import { sdFixture, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { StudioHost } from './studio-host';

let host: StudioHost;

beforeAll(() => {
  host = new StudioHost({ dataDir: temporaryDir(), bundledModelsDir: null, modelPaths: [tinyStoriesOnnx(), sdFixture()] });
});
afterAll(() => host.dispose());

const story = (request: TextGenerationRequest) =>
  followJob<TextResult>(host, () => host.invoke('startTextJob', request), { resultOf: (event) => (event.type === 'done' ? event.result : undefined) });
const image = (request: ImageGenerationRequest) =>
  followJob<ImageResult>(host, () => host.invoke('startImageJob', request), { resultOf: (event) => (event.type === 'image-done' ? event.images[0] : undefined) });

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('history of the host’s jobs', () => {
  it('records a finished story with its request as made, what ran and what it cost, before announcing it', async () => {
    const request = { model: 'tinystories-656k-onnx', prompt: 'Once upon a time', maxNewTokens: 12, temperature: 0.7, topK: 20, seed: 3 };
    let listedOnDone: number | null = null;
    const result = await followJob<TextResult>(host, () => host.invoke('startTextJob', request), {
      resultOf: (event) => (event.type === 'done' ? event.result : undefined),
      onEvent: (event) => {
        if (event.type === 'done') listedOnDone = host.history.list({ search: 'once upon' }).total;
      },
    });
    expect(listedOnDone).toBe(1);
    const [entry] = (await host.invoke('listHistory', { kind: 'text' })).entries;
    expect(entry).toMatchObject({ kind: 'text', model: 'tinystories-656k-onnx', prompt: 'Once upon a time', text: result.text, finishReason: result.finishReason, png: null });
    expect(entry).toMatchObject({ request, config: result.config, metrics: result.metrics });
  });

  it('records a finished image with its PNG as a file, and reads parameters back from PNGs', async () => {
    const result = await image({ model: sdFixture(), prompt: 'a red circle', steps: 2, seed: 5 });
    const page = await host.invoke('listHistory', { kind: 'image', search: 'red circle' });
    expect(page.total).toBe(1);
    const entry = await host.invoke('getHistoryEntry', { id: page.entries[0]!.id });
    expect(entry.kind === 'image' && entry.parameters).toEqual(result.parameters);
    expect(entry.png).toBe(result.png);
    expect(fs.readFileSync(entry.path).toString('base64')).toBe(result.png);

    await expect(host.invoke('readImageParameters', { png: result.png })).resolves.toEqual({ source: 'pareto', parameters: result.parameters });
    const a1111 = encodePng({ width: 1, height: 1, data: Uint8Array.of(0, 0, 0) }, { parameters: 'a castle\nNegative prompt: fog\nSteps: 20, Sampler: DPM++ 2M, CFG scale: 6.5, Seed: 42, Size: 512x768, Model: dreamshaper' });
    await expect(host.invoke('readImageParameters', { png: base64(a1111) })).resolves.toEqual({
      source: 'a1111',
      parameters: { prompt: 'a castle', negativePrompt: 'fog', steps: 20, scheduler: 'dpm++2m', guidance: 6.5, seed: 42, width: 512, height: 768, model: 'dreamshaper' },
    });
    const bare = encodePng({ width: 1, height: 1, data: Uint8Array.of(0, 0, 0) });
    await expect(host.invoke('readImageParameters', { png: base64(bare) })).rejects.toThrow(/This PNG carries no generation parameters/);
    await expect(host.invoke('readImageParameters', { png: base64(Buffer.from('GIF89a not a png')) })).rejects.toThrow(/cannot be read as a PNG: not a PNG file/);
  });

  it('deletes through the host and keeps only as many outputs as the setting says', async () => {
    await host.invoke('updateSettings', { historyLimit: 2 });
    for (const seed of [1, 2, 3]) await story({ model: 'tinystories-656k-onnx', prompt: `Seed ${seed} story`, maxNewTokens: 4, seed, temperature: 1 });
    const page = await host.invoke('listHistory', {});
    expect(page.entries.map((entry) => entry.prompt)).toEqual(['Seed 3 story', 'Seed 2 story']);
    await host.invoke('updateSettings', { historyLimit: 1 });
    expect((await host.invoke('listHistory', {})).entries.map((entry) => entry.prompt)).toEqual(['Seed 3 story']);
    await expect(host.invoke('deleteHistoryEntry', { id: page.entries[0]!.id })).resolves.toEqual({ deleted: true });
    await expect(host.invoke('getHistoryEntry', { id: page.entries[0]!.id })).rejects.toThrow(/No history entry/);
    await expect(host.invoke('listHistory', { limit: 0 })).rejects.toThrow(/listHistory: limit/);
  });
});
