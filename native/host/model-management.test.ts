import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyModel, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { genaiFixture } from '../testing/genai-fixture';
import { StudioHost } from './studio-host';

const hosts: StudioHost[] = [];
afterEach(async () => Promise.all(hosts.splice(0).map((host) => host.dispose())));

function makeHost(opened: string[]): StudioHost {
  const host = new StudioHost({ dataDir: temporaryDir(), bundledModelsDir: null, modelPaths: [tinyStoriesOnnx()], openFolder: async (dir) => void opened.push(dir) });
  hosts.push(host);
  return host;
}

describe('model management through the contract', () => {
  it('imports after validation, shows the folder, removes only what was imported, and keeps the folder on disk', async () => {
    const opened: string[] = [];
    const host = makeHost(opened);
    const dir = copyModel(genaiFixture());
    const model = await host.call('importModel', { path: dir });
    expect(model).toMatchObject({ source: 'imported', card: { layout: 'onnxruntime-genai', points: [{ precision: 'fp32', file: 'model.onnx' }] } });

    expect(await host.call('revealModel', { model: path.basename(dir) })).toEqual({ path: dir });
    expect(opened).toEqual([dir]);
    await expect(host.call('revealModel', { model: '/etc' })).rejects.toThrowError(/No model "\/etc" to show/);

    await expect(host.call('removeModel', { model: 'tinystories-656k-onnx' })).rejects.toThrowError(/was named at launch/);
    expect(await host.call('removeModel', { model: path.basename(dir) })).toEqual({ removed: dir });
    expect(((await host.call('listModels', undefined)) as { id: string }[]).map((info) => info.id)).toEqual(['tinystories-656k-onnx']);
    expect(fs.existsSync(path.join(dir, 'genai_config.json'))).toBe(true);
  });

  it('refuses an import the engine cannot run and keeps the model list as it was', async () => {
    const host = makeHost([]);
    const dir = copyModel(tinyStoriesOnnx());
    fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), 'not a model');
    await expect(host.call('importModel', { path: dir })).rejects.toThrowError(/onnx\/model\.onnx is not an ONNX model/);
    expect(host.settings.get().importedModels).toEqual([]);
  });
});
