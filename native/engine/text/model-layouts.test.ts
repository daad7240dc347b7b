import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TextGenerationRequestSchema } from '../../contract';
import { fixtureLayout, referenceGreedy, type FixtureLayout } from '../../testing/fixtures';
import type { SessionTuning } from '../onnx/open-session';
import { boolTensor } from '../onnx/runtime';
import { SessionPool } from '../onnx/session-pool';
import { DecoderSession } from './decoder-session';
import { loadTextModelFolder, type TextModelFolder } from './model-folder';
import { TextGenerator } from './text-generator';

// The 656K fixture's fp32 graph rewritten into the other layouts users' folders come in (SPEC §2):
// each must load, be detected for what it is, and decode the reference greedy tokens exactly.

const pools: SessionPool<DecoderSession>[] = [];
afterAll(() => Promise.all(pools.map((pool) => pool.closeAll())));

const greedy = TextGenerationRequestSchema.parse({ model: 'x', prompt: '', maxNewTokens: 40, doSample: false });

async function generateIn(folder: TextModelFolder, tuning: SessionTuning = {}) {
  const pool = new SessionPool<DecoderSession>(Infinity);
  pools.push(pool);
  const generator = new TextGenerator(folder, pool, tuning);
  const prepared = await generator.prepare(greedy);
  const { layout, graph } = prepared.primary;
  prepared.leases.forEach((lease) => lease.release());
  return { layout, graph, pool, result: await generator.generate(greedy) };
}

const exportAsIs: SessionTuning = { fuseGraph: false };

const load = (layout: FixtureLayout) => loadTextModelFolder(fixtureLayout(layout));
const fileSize = (folder: TextModelFolder, name: string) => fs.statSync(path.join(folder.dir, 'onnx', name)).size;

describe('text model layouts of the 656K fixture', () => {
  it('external data: reads the weights from model.onnx_data and counts them in the model size', async () => {
    const folder = load('external-data');
    expect(folder.points.map((p) => path.basename(p.path))).toEqual(['model.onnx']);
    expect(fileSize(folder, 'model.onnx')).toBeLessThan(100_000);
    expect(fileSize(folder, 'model.onnx_data')).toBeGreaterThan(3_000_000);
    expect(folder.sizeBytes).toBeGreaterThan(3_000_000); // ModelInfo.sizeBytes
    for (const tuning of [exportAsIs, {}]) {
      const { result, graph } = await generateIn(folder, tuning);
      expect(graph.kind).toBe(tuning.fuseGraph === false ? 'export' : 'fused'); // the rewrite inlines the external weights
      expect(result.generatedIds).toEqual(referenceGreedy().output_ids.slice(1));
    }
    const { pool } = await generateIn(folder);
    // The session pool budgets the session by its weights, external file included.
    expect(pool.heldBytes()).toBeGreaterThan(1.5 * 3_000_000);
  });

  it('merged decoder: picks decoder_model_merged.onnx and drives use_cache_branch', async () => {
    const folder = load('merged');
    expect(fs.existsSync(path.join(folder.dir, 'onnx', 'model.onnx'))).toBe(false);
    expect(folder.points).toHaveLength(1);
    expect(folder.points[0]!.precision).toBe('fp32');
    expect(folder.points[0]!.path.endsWith(path.join('onnx', 'decoder_model_merged.onnx'))).toBe(true);
    const { layout, graph, result } = await generateIn(folder);
    expect(graph).toEqual({ kind: 'export', reason: 'the graph branches (a merged decoder)' });
    expect(layout).toMatchObject({ hasUseCacheBranch: true, hasPositionIds: true, hasAttentionMask: true, kvType: 'float32' });
    expect(result.generatedIds).toEqual(referenceGreedy().output_ids.slice(1));
  });

  it('merged decoder: the flag matters, so the engine must send true once the cache holds positions', async () => {
    const folder = load('merged');
    const decoder = await DecoderSession.open(folder, folder.points[0]!, 'cpu');
    try {
      const [first, second] = referenceGreedy().output_ids;
      const cacheA = (await decoder.forward([first!, second!], decoder.emptyCache())).cache;
      const cacheB = (await decoder.forward([second!, first!], decoder.emptyCache())).cache;
      const feeds = decoder.tokenFeeds([first!], cacheA.length);
      expect(Array.from(feeds.use_cache_branch!.data as ArrayLike<boolean | number>, Boolean)).toEqual([true]);
      const logits = async (cache: typeof cacheA, flag: boolean) => {
        const step = await decoder.run({ ...feeds, use_cache_branch: boolTensor([flag], [1]) }, cache, 1);
        return Array.from(step.outputs.logits!.data as Float32Array);
      };
      const [cachedA, cachedB, prefillA, prefillB] = [await logits(cacheA, true), await logits(cacheB, true), await logits(cacheA, false), await logits(cacheB, false)];
      // The cached branch reads the past (two different pasts, two different answers); the prefill branch ignores it.
      expect(cachedA).not.toEqual(cachedB);
      expect(prefillA).toEqual(prefillB);
      expect(prefillA).not.toEqual(cachedA);
      // What the engine runs for a cached step is the cached branch.
      const engineStep = await decoder.forward([first!], cacheA);
      expect(Array.from(engineStep.logits)).toEqual(cachedA);
    } finally {
      await decoder.release();
    }
  });

  it('no position_ids: sends none and the graph counts positions from the past length', async () => {
    const folder = load('no-position-ids');
    const { layout, result } = await generateIn(folder, exportAsIs);
    expect(layout).toMatchObject({ hasPositionIds: false, hasAttentionMask: true, hasUseCacheBranch: false });
    expect(result.generatedIds).toEqual(referenceGreedy().output_ids.slice(1));
  });

  it('no position_ids: the fused rewrite takes positions, so it decodes the same tokens and allows a window', async () => {
    const { layout, graph, result } = await generateIn(load('no-position-ids'));
    expect(graph.kind).toBe('fused');
    expect(layout).toMatchObject({ hasPositionIds: true, hasAttentionMask: false, hasSequenceLengths: true });
    expect(result.generatedIds).toEqual(referenceGreedy().output_ids.slice(1));
  });

  it('no position_ids: refuses an attention window, which would shift the positions the graph counts', async () => {
    const pool = new SessionPool<DecoderSession>(Infinity);
    pools.push(pool);
    const generator = new TextGenerator(load('no-position-ids'), pool, exportAsIs);
    await expect(generator.prepare(TextGenerationRequestSchema.parse({ model: 'x', prompt: '', window: 16 }))).rejects.toThrowError(/no position_ids input.*without a window/);
  });
});
