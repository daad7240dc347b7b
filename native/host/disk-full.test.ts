import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiServerForTests } from '../testing/api-server';
import { copyModel, sdFixture, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { followJob } from './follow-job';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn('[disk-full test] skipped: mounting a small tmpfs needs root.');

/** A one-package family from the fixture, so a λ run refreshes calibration.json after it finishes. */
function storyFamily(): string {
  const dir = copyModel(tinyStoriesOnnx());
  const manifest = { schemaVersion: 1, kind: 'text', family: 'tiny-stories', name: 'story', operatingPoints: [{ precision: 'fp32', depth: 2, file: 'onnx/model.onnx', quality: { bitsPerByte: 1.1 } }] };
  fs.writeFileSync(path.join(dir, 'pareto.json'), JSON.stringify(manifest));
  return path.dirname(dir);
}

function fillDisk(dir: string): void {
  const handle = fs.openSync(path.join(dir, 'filler'), 'w');
  try {
    for (;;) fs.writeSync(handle, Buffer.alloc(16 * 1024));
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    fs.closeSync(handle);
  }
}

const filesUnder = (dir: string) => fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name);

describe.skipIf(!isRoot)('a full disk, on a real 32 MB tmpfs (finding 5)', () => {
  const mount = temporaryDir('pareto-disk-full-');
  const family = storyFamily();
  beforeAll(() => execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mount]));
  afterAll(() => execFileSync('umount', ['--lazy', mount]));
  const api = apiServerForTests(() => ({ dataDir: mount, bundledModelsDir: family }));

  it('delivers every finished output, leaves no temporary file and keeps settings as they were', async () => {
    const { host, server } = api;
    const tell = () => followJob(host, () => host.invoke('startTextJob', { prompt: 'Once upon a time', maxNewTokens: 8, seed: 1 }), { resultOf: (event) => (event.type === 'done' ? event.result : undefined) });
    await host.invoke('updateSettings', { lambda: 0.3 });
    await tell(); // calibrates the family while there is room, so the next λ run refreshes calibration.json after it ends
    fillDisk(mount);

    const story = await tell();
    expect(story.generatedIds).toHaveLength(8);
    const image = await followJob(host, () => host.invoke('startImageJob', { model: sdFixture(), prompt: 'a red circle', steps: 2, seed: 1 }), { resultOf: (event) => (event.type === 'image-done' ? event.images[0] : undefined) });
    expect(image.png.length).toBeGreaterThan(100);
    const completion = await fetch(`${api.baseURL}/completions`, { method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'tiny-stories', prompt: 'Once', max_tokens: 4 }) });
    expect(completion.status).toBe(200);

    await expect(host.invoke('updateSettings', { lambda: 0.9 })).rejects.toThrow(/Settings could not be saved \(ENOSPC.*nothing was changed/);
    expect(host.settings.get().lambda).toBe(0.3);
    expect(JSON.parse(fs.readFileSync(path.join(mount, 'settings.json'), 'utf8')).lambda).toBe(0.3);

    expect(filesUnder(mount).filter((name) => name.endsWith('.tmp') || name.endsWith('.png'))).toEqual([]);
    expect((await host.invoke('listHistory', {})).total).toBe(1);
    const notices = await host.invoke('getDataNotices');
    expect(notices).toEqual(expect.arrayContaining([expect.stringMatching(/delivered but could not be added to the history \(ENOSPC/), expect.stringMatching(/could not be saved to calibration\.json \(ENOSPC/)]));
  });
});
