import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyModel, referenceGreedy, temporaryDir, tinyStoriesOnnx } from '../../../testing/fixtures';
import { genaiFixture, genaiFixtureWithDataIn } from '../../../testing/genai-fixture';
import { DecoderSession } from '../decoder-session';
import { findOperatingPoint, loadTextModelFolder } from '../model-folder';
import { cachedRewrite, keepFusedRewritesIn, rewritesStored } from './rewrite-cache';

async function greedyIds(decoder: DecoderSession): Promise<number[]> {
  const { input_ids: prompt, output_ids: expected } = referenceGreedy();
  let step = await decoder.forward(prompt, decoder.emptyCache());
  const ids: number[] = [];
  while (ids.length < expected.length - prompt.length) {
    const next = step.logits.indexOf(Math.max(...step.logits));
    ids.push(next);
    step = await decoder.forward([next], step.cache);
  }
  return ids;
}

/** A copy of the fixture, loaded once with rewrites kept in a fresh folder, its rewrite written. */
async function fixtureLoadedOnce() {
  const cacheDir = temporaryDir();
  keepFusedRewritesIn(cacheDir, 'test-version');
  const folder = loadTextModelFolder(copyModel(tinyStoriesOnnx()));
  const point = findOperatingPoint(folder);
  await (await DecoderSession.open(folder, point, 'cpu')).release();
  await rewritesStored();
  return { cacheDir, folder, point };
}

describe('the fused rewrite kept on disk', () => {
  it('is stored once verified, opened directly on the next load, and decodes the reference tokens', async () => {
    const cacheDir = temporaryDir();
    keepFusedRewritesIn(cacheDir, 'test-version');
    const folder = loadTextModelFolder(copyModel(tinyStoriesOnnx()));
    const point = findOperatingPoint(folder);
    expect(cachedRewrite(point.path, folder.config)).toBeNull();

    const first = await DecoderSession.open(folder, point, 'cpu');
    expect(first.graph.kind).toBe('fused');
    await first.release();
    await rewritesStored();
    const stored = cachedRewrite(point.path, folder.config);
    // The fixture keeps its weights inside its graph file, so its rewrite does too and opens from its own path.
    expect(stored).toEqual({ model: expect.stringMatching(/\.onnx$/), graph: first.graph, selfContained: true });

    const second = await DecoderSession.open(folder, point, 'cpu');
    expect(second.graph).toEqual(first.graph);
    expect(await greedyIds(second)).toEqual(referenceGreedy().output_ids.slice(referenceGreedy().input_ids.length));
    await second.release();
  });

  it('keeps a GenAI export’s weights in its data file: the stored appending rewrite is the graph alone, and reads them from there', async () => {
    keepFusedRewritesIn(temporaryDir(), 'test-version');
    const folder = loadTextModelFolder(copyModel(genaiFixture()));
    const point = findOperatingPoint(folder);
    const first = await DecoderSession.open(folder, point, 'cpu');
    expect(first.graph.kind).toBe('appending');
    await first.release();
    await rewritesStored();
    const stored = cachedRewrite(point.path, folder.config)!;
    expect(stored.selfContained).toBe(false);
    expect(fs.statSync(stored.model).size).toBeLessThan(100_000);
    const second = await DecoderSession.open(folder, point, 'cpu');
    expect(second.graph).toEqual(first.graph);
    expect(await greedyIds(second)).toEqual(referenceGreedy().output_ids.slice(referenceGreedy().input_ids.length));
    await second.release();
  });

  it('is not used once the source file, the config or the studio version changes', async () => {
    const { cacheDir, folder, point } = await fixtureLoadedOnce();
    expect(cachedRewrite(point.path, folder.config)).not.toBeNull();
    expect(cachedRewrite(point.path, { ...folder.config, ropeTheta: 500_000 })).toBeNull();
    keepFusedRewritesIn(cacheDir, 'another-version');
    expect(cachedRewrite(point.path, folder.config)).toBeNull();
    keepFusedRewritesIn(cacheDir, 'test-version');
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(point.path, later, later);
    expect(cachedRewrite(point.path, folder.config)).toBeNull();
  });

  it('is not used once an external data file the graph names changes, whatever its name', async () => {
    keepFusedRewritesIn(temporaryDir(), 'test-version');
    const dir = genaiFixtureWithDataIn('weights.bin');
    const folder = loadTextModelFolder(dir);
    const point = findOperatingPoint(folder);
    await (await DecoderSession.open(folder, point, 'cpu')).release();
    await rewritesStored();
    expect(cachedRewrite(point.path, folder.config)).not.toBeNull();
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(dir, 'weights.bin'), later, later);
    expect(cachedRewrite(point.path, folder.config)).toBeNull();
  });

  it('is written in the background, leaving no temporary file, and rewritten when the stored file no longer opens', async () => {
    const { cacheDir, folder, point } = await fixtureLoadedOnce();
    expect(fs.readdirSync(cacheDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const stored = cachedRewrite(point.path, folder.config)!;
    fs.truncateSync(stored.model, 1000);

    const reopened = await DecoderSession.open(folder, point, 'cpu');
    expect(reopened.graph.kind).toBe('fused');
    expect(await greedyIds(reopened)).toEqual(referenceGreedy().output_ids.slice(referenceGreedy().input_ids.length));
    await reopened.release();
    await rewritesStored();
    expect(fs.statSync(cachedRewrite(point.path, folder.config)!.model).size).toBeGreaterThan(1000);
  });
});
