import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TextGenerationRequestSchema } from '../../../contract';
import { copyModel, fixtureVariants, heldOutText, referenceGreedy, syntheticTinyGemma, syntheticTinyLlama, tinyStoriesOnnx } from '../../../testing/fixtures';
import { stepwiseGap } from '../../../testing/stepwise-decode';
import { readModel } from '../../onnx/onnx-model';
import { SessionPool } from '../../onnx/session-pool';
import { DecoderSession, localGlobalBias } from '../decoder-session';
import { findOperatingPoint, loadTextModelFolder, type TextModelFolder } from '../model-folder';
import { argmax } from '../argmax';
import { kvCapacity } from '../kv-cache';
import { SlidingWindowDecoder } from '../kv-window';
import { teacherForcedLogits } from '../teacher-forcing';
import { TextGenerator } from '../text-generator';
import { TextTokenizer } from '../tokenizer';
import { readDecoderAnatomy } from './decoder-anatomy';
import { fuseDecoderGraph } from './fused-decoder';
import { rotaryTables } from './fused-graph';

const opened: DecoderSession[] = [];
afterAll(() => Promise.all(opened.map((session) => session.release())));
const open = async (folder: TextModelFolder, precision = 'fp32', fuseGraph = true) => {
  const session = await DecoderSession.open(folder, findOperatingPoint(folder, precision), 'cpu', { fuseGraph });
  opened.push(session);
  return session;
};

/** The export's and the fused graph's logits over the first `count` held-out tokens, teacher-forced, compared. */
async function exportVersusFused(folder: TextModelFolder, precision: string, count: number) {
  const [exported, fused] = [await open(folder, precision, false), await open(folder, precision)];
  const ids = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, folder.name).encode(heldOutText()).slice(0, count);
  const [a, b] = [await teacherForcedLogits(exported, ids), await teacherForcedLogits(fused, ids)];
  return {
    fused,
    worst: Math.max(...a.map((row, i) => Math.max(...row.map((value, j) => Math.abs(value - b[i]![j]!))))),
    topOneAgreement: a.filter((row, i) => argmax(row) === argmax(b[i]!)).length / ids.length,
  };
}

/** A copy of a model folder with its config.json changed by `edit`. */
function withConfig(edit: (config: Record<string, unknown>) => void, source = tinyStoriesOnnx()): TextModelFolder {
  const dir = copyModel(source);
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(config);
  fs.writeFileSync(file, JSON.stringify(config));
  return loadTextModelFolder(dir);
}

describe('fused rewrite of a Llama-style export', () => {
  const fixture = loadTextModelFolder(tinyStoriesOnnx());
  const shape = { layers: 2, hiddenSize: 128, heads: 8, kvHeads: 4, headDim: 16, vocabSize: 2048 };

  it('finds each layer’s projections by data flow, not by name', () => {
    const anatomy = readDecoderAnatomy(readModel(findOperatingPoint(fixture, 'fp32').path).graph, shape);
    expect(anatomy.attentionScale).toBe(0.25); // 1/√head_dim, a Div after q·kᵀ in this export
    const weights = anatomy.layers.map(({ attention, o, mlp, down }) => {
      if (attention.packed || mlp.packed) throw new Error('the fixture projects q, k, v, gate and up separately');
      return [attention.q, attention.k, attention.v, o, mlp.gate, mlp.up, down].map((p) => p.node.input[1]);
    });
    // The export's anonymous initializers, in HF's module order (q, k, v, o, gate, up, down).
    expect(weights[0]).toEqual(['onnx::MatMul_449', 'onnx::MatMul_454', 'onnx::MatMul_463', 'onnx::MatMul_468', 'onnx::MatMul_469', 'onnx::MatMul_470', 'onnx::MatMul_471']);
    expect(weights[1]).toEqual(['onnx::MatMul_472', 'onnx::MatMul_473', 'onnx::MatMul_474', 'onnx::MatMul_477', 'onnx::MatMul_478', 'onnx::MatMul_479', 'onnx::MatMul_480']);
    expect(anatomy.layers[1]!.inputNorm).toBe('w.model__layers__1__input_layernorm__weight');
    expect(anatomy.layers[0]!.postNorm).toBe('w.model__layers__0__post_attention_layernorm__weight');
    expect(anatomy.finalNorm).toBe('w.model__norm__weight');
    expect(anatomy.lmHead.node.input[1]).toBe('onnx::MatMul_481');
  });

  it('runs the fixture on 32 nodes instead of 388 and decodes the reference greedy tokens exactly', async () => {
    const decoder = await open(fixture);
    expect(decoder.graph).toEqual({ kind: 'fused', nodes: 32, sourceNodes: 388 });
    const pool = new SessionPool<DecoderSession>(Infinity);
    const result = await new TextGenerator(fixture, pool).generate(TextGenerationRequestSchema.parse({ model: 'x', prompt: '', maxNewTokens: 40, doSample: false }));
    await pool.closeAll();
    expect(result.generatedIds).toEqual(referenceGreedy().output_ids.slice(1));
  });

  it('reuses its one-token inputs in place, but never for two steps in flight at once', async () => {
    const decoder = await open(fixture);
    const prefill = await decoder.forward([1, 147, 201], decoder.emptyCache());
    const sequential = [await decoder.forward([282], prefill.cache), await decoder.forward([9], prefill.cache)];
    const concurrent = await Promise.all([decoder.forward([282], prefill.cache), decoder.forward([9], prefill.cache)]);
    expect(concurrent.map((step) => Array.from(step.logits))).toEqual(sequential.map((step) => Array.from(step.logits)));
    expect(Array.from(sequential[0]!.logits)).not.toEqual(Array.from(sequential[1]!.logits));
  });

  it('gives the export’s logits at 200 held-out positions, and carries int8 weights over as they are', async () => {
    const variants = loadTextModelFolder(fixtureVariants());
    const fp32 = await exportVersusFused(variants, 'fp32', 200);
    expect(fp32.fused.graph.kind).toBe('fused');
    expect(fp32).toMatchObject({ worst: expect.closeTo(0, 3), topOneAgreement: 1 });
    // Both run the int8 weights through MatMulNBits, which quantises activations per block: float-rounding
    // differences upstream can move an activation across a quantisation step, so the logits differ by
    // about one step (< 0.2), never in kind.
    const int8 = await exportVersusFused(variants, 'int8', 200);
    expect(int8.fused.graph.kind).toBe('fused');
    expect(int8.worst).toBeLessThan(0.2);
    expect(int8.topOneAgreement).toBeGreaterThanOrEqual(0.98);
  });

  it('reads the studio’s own export: packed products, scale folded into q, int8 lookup, local + global mask', async () => {
    const student = loadTextModelFolder(path.resolve(__dirname, '../../../../models/pareto-stories-student-s'));
    const anatomy = readDecoderAnatomy(readModel(findOperatingPoint(student, 'fp32').path).graph, {
      layers: 3,
      hiddenSize: 128,
      heads: 4,
      kvHeads: 2,
      headDim: 32,
      vocabSize: 2048,
    });
    expect(anatomy.attentionScale).toBe(1);
    expect(anatomy.layers.every((layer) => layer.attention.packed && layer.mlp.packed)).toBe(true);
    // 200 positions run past the 128-position window the student was trained with (config pareto_attention),
    // so the additive mask the engine feeds must match the one the export computes in its graph.
    for (const precision of ['fp32', 'int8']) {
      const compared = await exportVersusFused(student, precision, 200);
      expect(compared.fused.layout.hasAttentionBias).toBe(true);
      expect(compared.worst).toBeLessThan(precision === 'fp32' ? 1e-3 : 0.2);
      expect(compared.topOneAgreement).toBeGreaterThanOrEqual(precision === 'fp32' ? 1 : 0.98);
    }
  });

  it('reads a graph that masks attention with Where(mask, −∞, scores · scale) (torch.onnx exports of SDPA)', async () => {
    const synthetic = loadTextModelFolder(syntheticTinyLlama());
    for (const precision of ['fp32', 'int8']) {
      const compared = await exportVersusFused(synthetic, precision, 120);
      expect(compared.fused.graph.kind).toBe('fused');
      expect(compared.topOneAgreement).toBeGreaterThanOrEqual(precision === 'fp32' ? 1 : 0.98);
    }
  });

  it('reads Gemma’s layer: a GELU-tanh gate, norm scales of 1 + w and embeddings scaled by √hidden', async () => {
    const gemma = loadTextModelFolder(syntheticTinyGemma());
    expect(gemma.config).toMatchObject({ modelType: 'gemma', hiddenAct: 'gelu_pytorch_tanh' });
    const graph = readModel(findOperatingPoint(gemma, 'fp32').path).graph;
    expect(readDecoderAnatomy(graph, { layers: 4, hiddenSize: 192, heads: 6, kvHeads: 2, headDim: 32, vocabSize: 2048 }).gateActivation).toBe('gelu-tanh');
    for (const precision of ['fp32', 'q4']) {
      const compared = await exportVersusFused(gemma, precision, 120);
      expect(compared.fused.graph.kind).toBe('fused');
      if (precision === 'fp32') expect(compared.worst).toBeLessThan(1e-3);
      expect(compared.topOneAgreement).toBeGreaterThanOrEqual(precision === 'fp32' ? 1 : 0.98);
    }
  });

  it('decodes step by step into one cache with room, as the export does: across its growth and under a sliding window', async () => {
    const [exported, fused] = [await open(fixture, 'fp32', false), await open(fixture)];
    for (const window of [null, 24]) {
      const [a, b] = window === null ? [exported, fused] : [new SlidingWindowDecoder(exported, 4, window), new SlidingWindowDecoder(fused, 4, window)];
      const { worst, caches } = await stepwiseGap(fixture, a, b, 160);
      expect(worst).toBeLessThan(1e-3);
      expect(caches.rewritten).toMatchObject({ length: caches.exported.length, evicted: caches.exported.evicted });
      // The fused cache grew block by block to 160 positions; the windowed one never outgrew its sinks and window.
      expect(kvCapacity(caches.rewritten)).toBe(window === null ? 160 : 32);
    }
    // The studio's student attends through an additive local + global mask over the filled positions only.
    const student = loadTextModelFolder(path.resolve(__dirname, '../../../../models/pareto-stories-student-s'));
    const { worst } = await stepwiseGap(student, await open(student, 'fp32', false), await open(student), 300);
    expect(worst).toBeLessThan(1e-3);
  });

  it('masks local + global attention over cache positions: the window behind each query plus the sinks', () => {
    const masked = Array.from(localGlobalBias(2, 3, { window: 2, sinks: 1 }), (value) => (value < 0 ? 0 : 1));
    // rows: queries at cache positions 2, 3, 4; columns: keys 0..4
    expect(masked).toEqual([1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1]);
  });

  it('keeps the export where the rewrite does not apply, and says why', async () => {
    const variants = loadTextModelFolder(fixtureVariants());
    expect((await open(variants, 'fp16')).graph).toEqual({ kind: 'export', reason: 'its KV cache is not float32' });
    expect((await open(fixture, 'fp32', false)).graph).toEqual({ kind: 'export', reason: 'fusion is turned off' });
    const gelu = withConfig((config) => (config.hidden_act = 'gelu'));
    expect((await open(gelu)).graph).toEqual({ kind: 'export', reason: 'config.json names gelu but the graph gates its MLP with silu' });
    const relu = withConfig((config) => (config.hidden_act = 'relu'));
    expect((await open(relu)).graph).toEqual({ kind: 'export', reason: 'its MLP activation is relu, which the fused graph does not compute' });
    const phi3 = withConfig((config) => Object.assign(config, { model_type: 'phi3', sliding_window: 2047, max_position_embeddings: 4096 }));
    expect((await open(phi3)).graph).toEqual({ kind: 'export', reason: 'it attends within a sliding window' });
    const gpt = withConfig((config) => (config.model_type = 'gpt2'));
    expect(() => fuseDecoderGraph(findOperatingPoint(gpt, 'fp32').path, gpt.config)).toThrowError('model type gpt2 is not a Llama-style decoder');
  });

  it('checks itself against the export: a config that misdescribes the graph leaves the export running', async () => {
    // A wrong rotary base builds a graph that loads and runs but computes another model; the probe catches it.
    const wrongTheta = withConfig((config) => (config.rope_theta = 500_000));
    const decoder = await open(wrongTheta);
    expect(decoder.graph.kind).toBe('export');
    expect(decoder.graph.kind === 'export' && decoder.graph.reason).toMatch(/fused graph's logits differ from the export's by .* at probe step/);
    // The export's session was let go while the rewrite was tried: the one opened again decodes the reference.
    const { input_ids: prompt, output_ids: expected } = referenceGreedy();
    let step = await decoder.forward(prompt, decoder.emptyCache());
    const ids = [...prompt];
    while (ids.length < expected.length) {
      ids.push(argmax(step.logits));
      step = await decoder.forward([ids.at(-1)!], step.cache);
    }
    expect(ids).toEqual(expected);
  });

  it('rotary tables follow transformers: position × θ^(−2i/d), cos and sin of the same halves', () => {
    const { cos, sin } = rotaryTables(4, 10_000, 3);
    expect(Array.from(cos.subarray(0, 2))).toEqual([1, 1]);
    expect(cos[2]).toBeCloseTo(Math.cos(1), 6);
    expect(sin[3]).toBeCloseTo(Math.sin(0.01), 6);
    expect(sin[5]).toBeCloseTo(Math.sin(0.02), 6);
  });
});
