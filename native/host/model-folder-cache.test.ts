import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { copyModel, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { loadTextModelFolder } from '../engine/text/model-folder';
import { ModelFolderCache } from './model-folder-cache';
import { ModelRegistry } from './model-registry';
import { SettingsStore } from './settings-store';

describe('the model folder cache', () => {
  it('keeps a loaded folder until one of its files changes', () => {
    const dir = copyModel(tinyStoriesOnnx());
    const cache = new ModelFolderCache<ReturnType<typeof loadTextModelFolder>>();
    const first = cache.load(dir, loadTextModelFolder);
    expect(cache.load(dir, loadTextModelFolder)).toBe(first);
    const configFile = path.join(dir, 'generation_config.json');
    fs.writeFileSync(configFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(configFile, 'utf8')), temperature: 0.5 }));
    const reloaded = cache.load(dir, loadTextModelFolder);
    expect(reloaded).not.toBe(first);
    expect(reloaded.generationDefaults.temperature).toBe(0.5);
    fs.rmSync(path.join(dir, 'onnx', 'model.onnx'));
    expect(() => cache.load(dir, loadTextModelFolder)).toThrow(/has no model\.onnx/);
  });

  it('lets the registry drop a folder that broke since it was listed', () => {
    const dir = copyModel(tinyStoriesOnnx());
    const registry = new ModelRegistry(new SettingsStore(temporaryDir()), null, [dir]);
    expect(registry.list().map((model) => model.path)).toEqual([dir]);
    fs.truncateSync(path.join(dir, 'config.json'), 3);
    expect(registry.list()).toEqual([]);
  });

  it('resolves a folder it does not list without reading the ones it lists', () => {
    const listed = copyModel(tinyStoriesOnnx());
    const other = copyModel(tinyStoriesOnnx());
    const registry = new ModelRegistry(new SettingsStore(temporaryDir()), null, [listed]);
    const readdir = vi.spyOn(fs, 'readdirSync');
    try {
      expect(registry.resolve(other).info).toMatchObject({ id: other, source: 'path' });
      expect(readdir.mock.calls.filter(([dir]) => String(dir).startsWith(listed))).toEqual([]);
      expect(registry.resolve(listed).info).toMatchObject({ id: path.basename(listed), source: 'path' });
      expect(readdir.mock.calls.filter(([dir]) => String(dir).startsWith(listed)).length).toBeGreaterThan(0);
    } finally {
      readdir.mockRestore();
    }
  });
});
