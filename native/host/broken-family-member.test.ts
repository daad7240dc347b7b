import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { followJob } from './follow-job';
import { StudioHost } from './studio-host';

/** A bundled family of two packages made from the fixture; `broken` gets random bytes as its onnx/model.onnx. */
function familyWithBrokenMember(): string {
  const root = temporaryDir('pareto-family-');
  for (const [name, role] of [['story-good', 'teacher'], ['story-broken', 'student']] as const) {
    const dir = path.join(root, name);
    fs.cpSync(tinyStoriesOnnx(), dir, { recursive: true });
    const manifest = { schemaVersion: 1, kind: 'text', family: 'tiny-stories', name, role, operatingPoints: [{ precision: 'fp32', depth: 2, file: 'onnx/model.onnx', quality: { bitsPerByte: role === 'teacher' ? 1 : 1.2 } }] };
    fs.writeFileSync(path.join(dir, 'pareto.json'), JSON.stringify(manifest));
  }
  fs.writeFileSync(path.join(root, 'story-broken', 'onnx', 'model.onnx'), crypto.randomBytes(64 * 1024));
  return root;
}

const host = new StudioHost({ dataDir: temporaryDir(), bundledModelsDir: familyWithBrokenMember() });
afterAll(() => host.dispose());

describe('one broken package in a family (finding 2)', () => {
  it('takes itself out of the family with a visible reason, and λ runs on the rest', async () => {
    for (const lambda of [0, 1]) {
      const story = await followJob(host, () => host.invoke('startTextJob', { prompt: 'Once upon a time', maxNewTokens: 4, lambda }), { resultOf: (event) => (event.type === 'done' ? event.result : undefined) });
      expect(story.config.operatingPoint!.model).toBe('story-good');
    }
    const broken = (await host.invoke('listModels')).find((model) => model.id === 'story-broken')!;
    expect(broken.excludedReason).toMatch(/onnx\/model\.onnx could not be loaded/);
    expect((await host.invoke('listModels')).find((model) => model.id === 'story-good')!.excludedReason).toBeUndefined();
  });
});
