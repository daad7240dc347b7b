import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyModel, fixtureLayout, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { expectOneLineError, paretoWithHome } from '../testing/cli';
import { GIT_LFS_POINTER } from '../testing/graph-surgery';
import { genaiFixture } from '../testing/genai-fixture';

describe('pareto models import | list | remove', () => {
  it('refuses a garbage graph, a missing data file and a git-lfs pointer with one line each, and keeps none of them', async () => {
    const home = temporaryDir();
    const garbage = copyModel(tinyStoriesOnnx());
    fs.writeFileSync(path.join(garbage, 'onnx', 'model.onnx'), 'garbage\n'.repeat(500));
    const missingData = copyModel(fixtureLayout('external-data'));
    fs.rmSync(path.join(missingData, 'onnx', 'model.onnx_data'));
    const pointer = copyModel(tinyStoriesOnnx());
    fs.writeFileSync(path.join(pointer, 'onnx', 'model.onnx'), GIT_LFS_POINTER);
    const refusals: [string, RegExp][] = [
      [garbage, /onnx\/model\.onnx is not an ONNX model/],
      [missingData, /onnx\/model\.onnx keeps its weights in onnx\/model\.onnx_data, which is missing/],
      [pointer, /onnx\/model\.onnx is a git-lfs pointer, not the file itself/],
    ];
    for (const [dir, sentence] of refusals) expectOneLineError(await paretoWithHome(home, 'models', 'import', dir), sentence);
    expect(JSON.parse((await paretoWithHome(home, 'models', 'list', '--json')).stdout)).toEqual([]);
  });

  it('imports a GenAI folder, lists it with its layout, and removes it again', async () => {
    const home = temporaryDir();
    const dir = genaiFixture();
    const imported = await paretoWithHome(home, 'models', 'import', dir, '--json');
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ id: path.basename(dir), architecture: 'llama', variants: ['fp32'], card: { layout: 'onnxruntime-genai' } });
    const removed = await paretoWithHome(home, 'models', 'remove', path.basename(dir));
    expect(removed.stdout).toMatch(/^Removed .* \(its folder .* is still on disk\)\n$/);
    expect(JSON.parse((await paretoWithHome(home, 'models', 'list', '--json')).stdout)).toEqual([]);
    expectOneLineError(await paretoWithHome(home, 'models', 'remove', path.basename(dir)), /No imported model ".*" to remove/);
  });
});
