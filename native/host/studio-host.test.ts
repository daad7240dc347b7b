import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobEvent, StudioEvent } from '../contract';
import { copyModel, sdFixture, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { StudioHost } from './studio-host';

const hosts: StudioHost[] = [];
function makeHost(): StudioHost {
  const host = new StudioHost({ dataDir: temporaryDir(), bundledModelsDir: null, modelPaths: [tinyStoriesOnnx()] });
  hosts.push(host);
  return host;
}
afterEach(async () => Promise.all(hosts.splice(0).map((host) => host.dispose())));

function eventsUntilEnd(host: StudioHost, jobId: () => string | null): Promise<JobEvent[]> {
  const events: StudioEvent[] = [];
  return new Promise((resolve) => {
    const unsubscribe = host.onEvent((event) => {
      events.push(event);
      if (event.type !== 'host' && event.jobId === jobId() && (event.type === 'done' || event.type === 'error')) {
        unsubscribe();
        resolve(events.filter((e): e is JobEvent => e.type !== 'host' && e.jobId === jobId()));
      }
    });
  });
}

describe('StudioHost', () => {
  it('lists models named at launch and streams a job: queued, started, tokens, metrics, done', async () => {
    const host = makeHost();
    const [model] = await host.invoke('listModels');
    expect(model).toMatchObject({ id: 'tinystories-656k-onnx', kind: 'text', source: 'path', contextLength: 512, variants: ['fp32'] });
    let jobId: string | null = null;
    const finished = eventsUntilEnd(host, () => jobId);
    jobId = (await host.invoke('startTextJob', { model: model!.id, prompt: 'Once upon a time', maxNewTokens: 30, doSample: false })).jobId;
    const events = await finished;
    expect(events[0]).toMatchObject({ type: 'queued', position: 0 });
    expect(events[1]).toMatchObject({ type: 'started', ep: 'cpu', fallbackReason: null, promptTokens: 6 });
    const text = events.filter((e) => e.type === 'tokens').map((e) => (e.type === 'tokens' ? e.text : '')).join('');
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    if (done.type === 'done') expect(done.result.text).toBe(text);
    expect(events.some((e) => e.type === 'metrics')).toBe(true);
  });

  it('answers bad input with one sentence and keeps serving', async () => {
    const host = makeHost();
    await expect(host.call('startTextJob', { model: '/no/such/folder', prompt: 'x' })).rejects.toThrowError('Model folder not found: /no/such/folder');
    await expect(host.call('startTextJob', { model: tinyStoriesOnnx(), prompt: 'x', maxNewTokens: 0 })).rejects.toThrowError(/startTextJob: maxNewTokens: Too small/);
    await expect(host.call('startTextJob', { prompt: 'x', messages: [{ role: 'user', content: 'x' }] })).rejects.toThrowError(/either prompt or messages/);
    await expect(host.call('noSuchMethod', undefined)).rejects.toThrowError('Unknown method "noSuchMethod"; it should be one of: listModels, importModel,');
    const broken = copyModel(tinyStoriesOnnx());
    fs.truncateSync(path.join(broken, 'onnx', 'model.onnx'), 1000);
    await expect(host.call('startTextJob', { model: broken, prompt: 'x' })).rejects.toThrowError(/onnx\/model\.onnx could not be loaded/);
    await expect(host.call('startTextJob', { model: tinyStoriesOnnx(), prompt: 'a cat. '.repeat(400) })).rejects.toThrowError(/shorten the prompt/);

    let jobId: string | null = null;
    const finished = eventsUntilEnd(host, () => jobId);
    jobId = (await host.invoke('startTextJob', { model: tinyStoriesOnnx(), prompt: '', maxNewTokens: 5 })).jobId;
    expect((await finished).at(-1)?.type).toBe('done');
  });

  it('queues a second job on the same model and cancels either kind', async () => {
    const host = makeHost();
    let first: string | null = null;
    let second: string | null = null;
    const firstDone = eventsUntilEnd(host, () => first);
    const secondDone = eventsUntilEnd(host, () => second);
    first = (await host.invoke('startTextJob', { model: tinyStoriesOnnx(), prompt: '', maxNewTokens: 400, minNewTokens: 400 })).jobId;
    second = (await host.invoke('startTextJob', { model: tinyStoriesOnnx(), prompt: '', maxNewTokens: 5 })).jobId;
    expect(await host.invoke('cancelJob', { jobId: second })).toEqual({ cancelled: true });
    expect(await host.invoke('cancelJob', { jobId: first })).toEqual({ cancelled: true });
    const [firstEvents, secondEvents] = await Promise.all([firstDone, secondDone]);
    const end = firstEvents.at(-1)!;
    expect(end.type === 'done' && end.result.finishReason).toBe('cancelled');
    expect(secondEvents.map((e) => e.type)).toEqual(['queued', 'error']);
    expect(await host.invoke('cancelJob', { jobId: first })).toEqual({ cancelled: false });
  });

  it('keeps settings and imported models across restarts', async () => {
    const dataDir = temporaryDir();
    const host = new StudioHost({ dataDir, bundledModelsDir: null });
    await host.invoke('updateSettings', { maxNewTokens: 321, ep: 'cpu' });
    const imported = await host.invoke('importModel', { path: tinyStoriesOnnx() });
    expect(imported.source).toBe('imported');
    const again = new StudioHost({ dataDir, bundledModelsDir: null });
    expect((await again.invoke('getSettings')).maxNewTokens).toBe(321);
    expect((await again.invoke('listModels')).map((m) => m.id)).toEqual(['tinystories-656k-onnx']);
    await expect(again.call('updateSettings', { topP: 3 })).rejects.toThrowError(/topP/);
  });
});

describe('verifying a package against its checksums', () => {
  it('passes an intact package and names the file that changed', async () => {
    const dir = copyModel(tinyStoriesOnnx());
    const digest = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, file))).digest('hex');
    const files = { 'onnx/model.onnx': digest('onnx/model.onnx'), 'tokenizer.json': digest('tokenizer.json') };
    const manifest = { schemaVersion: 1, kind: 'text', family: 'f', name: 'n', operatingPoints: [{ precision: 'fp32', file: 'onnx/model.onnx' }], files };
    fs.writeFileSync(path.join(dir, 'pareto.json'), JSON.stringify(manifest));
    const host = makeHost();
    expect(await host.invoke('verifyModel', { model: dir })).toMatchObject({ ok: true, files: [{ ok: true }, { ok: true }] });
    const tokenizer = path.join(dir, 'tokenizer.json');
    fs.writeFileSync(tokenizer, fs.readFileSync(tokenizer, 'utf8').replace('<unk>', '<UNK>'));
    const report = await host.invoke('verifyModel', { model: dir });
    expect(report.ok).toBe(false);
    expect(report.files!.find((file) => !file.ok)).toMatchObject({ file: 'tokenizer.json', problem: expect.stringMatching(/sha256 is .*pareto\.json says/) });
    expect(await host.invoke('verifyModel', { model: tinyStoriesOnnx() })).toEqual({ model: 'tinystories-656k-onnx', ok: true, files: null });
  });

  it('verifies image packages too', async () => {
    const dir = copyModel(sdFixture());
    const unet = 'unet/model.onnx';
    const digest = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, unet))).digest('hex');
    const manifest = { schemaVersion: 1, kind: 'image', family: 'f', name: 'n', operatingPoints: [{ precision: 'fp32', steps: 4, file: unet }], files: { [unet]: digest } };
    fs.writeFileSync(path.join(dir, 'pareto.json'), JSON.stringify(manifest));
    const host = makeHost();
    expect(await host.invoke('verifyModel', { model: dir })).toMatchObject({ ok: true, files: [{ file: unet, ok: true }] });
    fs.truncateSync(path.join(dir, unet), 1000);
    expect(await host.invoke('verifyModel', { model: dir })).toMatchObject({ ok: false, files: [{ file: unet, ok: false }] });
  });
});
