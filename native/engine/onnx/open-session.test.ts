import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { genaiFixtureWithDataIn } from '../../testing/genai-fixture';
import { autoThreadCount, baseSessionOptions, modelFileBytes } from './open-session';
import { defaultThreadCount } from './runtime';

const spinning = (threads: number, spinWorkers?: boolean) =>
  (baseSessionOptions(threads, { spinWorkers }).extra as { session: { intra_op: { allow_spinning: string } } }).session.intra_op.allow_spinning;

describe('session options', () => {
  it("lets a text decoder's worker threads spin between kernels, and no other session's", () => {
    expect(spinning(2, true)).toBe('1');
    expect(spinning(8, true)).toBe('1');
    // a one-thread session has no workers; sessions that take turns (an image's) must not run in each other's spin
    expect(spinning(1, true)).toBe('0');
    expect(spinning(2)).toBe('0');
  });

  it('gives small models one thread and big ones every core', () => {
    expect(autoThreadCount(4 * 1024 * 1024)).toBe(1);
    expect(autoThreadCount(200 * 1024 * 1024)).toBe(defaultThreadCount());
  });

  it('sizes a model by its graph and the external data files the graph names, whatever they are called', () => {
    const dir = genaiFixtureWithDataIn('weights.bin');
    const [graph, data] = ['model.onnx', 'weights.bin'].map((name) => fs.statSync(path.join(dir, name)).size);
    expect(data).toBeGreaterThan(graph!);
    expect(modelFileBytes(path.join(dir, 'model.onnx'))).toBe(graph! + data!);
    fs.writeFileSync(path.join(dir, 'not-a-graph.onnx'), 'version https://git-lfs.github.com/spec/v1\n');
    expect(modelFileBytes(path.join(dir, 'not-a-graph.onnx'))).toBe(fs.statSync(path.join(dir, 'not-a-graph.onnx')).size);
  });

  it('folds weight dequantisation only when asked', () => {
    const session = (fold: boolean) => (baseSessionOptions(1, { foldWeightDequantize: fold }).extra as { session: Record<string, unknown> }).session;
    expect(session(true).disable_quant_qdq).toBe('1');
    expect(session(false).disable_quant_qdq).toBeUndefined();
  });
});
