import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TextGenerationRequestSchema } from '../../contract';
import { copyModel, tinyStoriesOnnx } from '../../testing/fixtures';
import { GENAI_KV_NAMES, genaiFixture, genaiRotaryFixture } from '../../testing/genai-fixture';
import { stepwiseGap } from '../../testing/stepwise-decode';
import { readGraphSummary } from '../onnx/graph-summary';
import { SessionPool } from '../onnx/session-pool';
import { DecoderSession } from './decoder-session';
import { kvCapacity } from './kv-cache';
import { checkTextModel } from './model-check';
import { loadTextModelFolder } from './model-folder';
import { TextGenerator } from './text-generator';

const pools: SessionPool<DecoderSession>[] = [];
afterAll(() => Promise.all(pools.map((pool) => pool.closeAll())));

async function story(dir: string) {
  const pool = new SessionPool<DecoderSession>(Infinity);
  pools.push(pool);
  const generator = new TextGenerator(loadTextModelFolder(dir), pool);
  const request = TextGenerationRequestSchema.parse({ model: 'x', prompt: 'Once upon a time', maxNewTokens: 30, doSample: false });
  const prepared = await generator.prepare(request);
  const { layout, graph } = prepared.primary;
  prepared.leases.forEach((lease) => lease.release());
  return { layout, graph, result: await generator.generate(request) };
}

describe('ONNX Runtime GenAI folders', () => {
  it('reads the model from genai_config.json alone: type, heads, cache names, special tokens, context, search defaults', () => {
    const folder = loadTextModelFolder(genaiFixture());
    expect(fs.existsSync(path.join(folder.dir, 'config.json'))).toBe(false);
    expect(folder.layout).toBe('onnxruntime-genai');
    expect(folder.config).toMatchObject({ modelType: 'llama', numLayers: 2, numHeads: 8, numKvHeads: 4, headDim: 16, vocabSize: 2048, contextLength: 512, bosTokenId: 1, eosTokenIds: [2] });
    expect(folder.kvNames).toEqual({ pastKey: GENAI_KV_NAMES.past_key_names, pastValue: GENAI_KV_NAMES.past_value_names, presentKey: GENAI_KV_NAMES.present_key_names, presentValue: GENAI_KV_NAMES.present_value_names });
    expect(folder.generationDefaults).toMatchObject({ do_sample: false, top_k: 1 });
    expect(folder.points.map((point) => [point.precision, path.basename(point.path)])).toEqual([['fp32', 'model.onnx']]);
    expect(readGraphSummary(folder.points[0]!.path).nodes.map((node) => node.op_type)).toContain('GroupQueryAttention');
    // model.onnx holds the graph, model.onnx.data the weights; the size counts both.
    expect(fs.statSync(path.join(folder.dir, 'model.onnx')).size).toBeLessThan(100_000);
    expect(folder.sizeBytes).toBeGreaterThan(2_500_000);
  });

  it('passes import validation and decodes the same story as the export it was made from, on GroupQueryAttention', async () => {
    await expect(checkTextModel(loadTextModelFolder(genaiFixture()))).resolves.toBeUndefined();
    const [genai, original] = [await story(genaiFixture()), await story(tinyStoriesOnnx())];
    expect(genai.layout).toMatchObject({ hasAttentionMask: true, hasPositionIds: true, hasSequenceLengths: false });
    expect(genai.layout.slots[0]).toEqual({ pastKey: 'past_key_0', pastValue: 'past_value_0', presentKey: 'present_key_0', presentValue: 'present_value_0' });
    // The graph is already on contrib kernels: the rewrite finds no Llama layers in it and says so, and only cuts
    // its present outputs to the positions each step adds.
    expect(genai.graph).toEqual({ kind: 'appending', reason: "its attention already runs on onnxruntime's GroupQueryAttention kernel" });
    expect(genai.result.promptIds).toEqual(original.result.promptIds);
    expect(genai.result.generatedIds).toEqual(original.result.generatedIds);
  });

  it('reads and runs a GenAI graph whose RoPE is in RotaryEmbedding nodes ahead of GroupQueryAttention, with no hand-written config', async () => {
    const folder = loadTextModelFolder(genaiRotaryFixture());
    expect(fs.existsSync(path.join(folder.dir, 'config.json'))).toBe(false);
    const ops = readGraphSummary(folder.points[0]!.path).nodes.map((node) => node.op_type);
    expect(ops.filter((op) => op === 'RotaryEmbedding')).toHaveLength(2 * folder.config.numLayers);
    expect(ops.filter((op) => op === 'GroupQueryAttention')).toHaveLength(folder.config.numLayers);
    await expect(checkTextModel(folder)).resolves.toBeUndefined();
    const [rotary, original] = [await story(genaiRotaryFixture()), await story(tinyStoriesOnnx())];
    expect(rotary.graph).toEqual({ kind: 'appending', reason: "its attention already runs on onnxruntime's GroupQueryAttention kernel" });
    expect(rotary.result.generatedIds).toEqual(original.result.generatedIds);
  });

  it('decodes 150 held-out tokens one by one into a cache with room as the whole-cache export does, across its growth', async () => {
    const folder = loadTextModelFolder(genaiFixture());
    const [exported, appending] = await Promise.all([false, true].map((fuseGraph) => DecoderSession.open(folder, folder.points[0]!, 'cpu', { fuseGraph })));
    expect([exported!.graph.kind, appending!.graph.kind]).toEqual(['export', 'appending']);
    const { worst, caches } = await stepwiseGap(folder, exported!, appending!, 150);
    expect(worst).toBeLessThan(1e-4);
    expect([caches.exported.length, kvCapacity(caches.exported), kvCapacity(caches.rewritten)]).toEqual([150, 150, 160]);
    await Promise.all([exported!.release(), appending!.release()]);
  });

  it('refuses a genai_config.json whose decoder file is missing, naming both', () => {
    const dir = copyModel(genaiFixture());
    fs.rmSync(path.join(dir, 'model.onnx'));
    expect(() => loadTextModelFolder(dir)).toThrowError(/model\.onnx is missing from .* \(genai_config\.json names it\)\./);
  });

  it('refuses a missing model.onnx.data at import', async () => {
    const dir = copyModel(genaiFixture());
    fs.rmSync(path.join(dir, 'model.onnx.data'));
    await expect(checkTextModel(loadTextModelFolder(dir))).rejects.toThrowError(/model\.onnx keeps its weights in model\.onnx\.data, which is missing\./);
  });

  it('reads a tokenizer.json without decoder and post_processor keys', () => {
    const dir = copyModel(tinyStoriesOnnx());
    const file = path.join(dir, 'tokenizer.json');
    const { decoder: _decoder, post_processor: _postProcessor, ...rest } = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify(rest));
    const pool = new SessionPool<DecoderSession>(Infinity);
    pools.push(pool);
    expect(new TextGenerator(loadTextModelFolder(dir), pool).encodePrompt({ prompt: 'Once upon a time' }).length).toBeGreaterThan(3);
  });
});
