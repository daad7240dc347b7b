import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompareResult } from '../contract';
import { expectOneLineError, pareto, paretoWith } from '../testing/cli';
import { decodePng, readPngText } from '../engine/png/png';
import { sdFixture, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { pointMode } from './compare';

const BUNDLED = path.resolve(__dirname, '../../models');
const panesOf = (stdout: string) => (JSON.parse(stdout) as CompareResult).panes;

describe('pareto compare', () => {
  it('prints one pane per λ with different operating points and its metrics; the same seed gives the same text per point', async () => {
    const env = { PARETO_HOME: temporaryDir(), PARETO_MODELS_DIR: BUNDLED };
    const args = ['compare', 'text', '--prompt', 'Once upon a time', '--seed', '1', '--lambda', '0,1', '--max-new-tokens', '24', '--json'];
    const first = await paretoWith(env, ...args);
    expect(first.code).toBe(0);
    const panes = panesOf(first.stdout);
    expect(panes.map((pane) => pane.mode)).toEqual([{ lambda: 0 }, { lambda: 1 }]);
    expect(panes[0]!.point).not.toEqual(panes[1]!.point);
    for (const pane of panes) {
      expect(pane.text!.metrics).toMatchObject({ ttftMs: expect.any(Number), msPerToken: expect.any(Number), tokensPerSecond: expect.any(Number), peakRssMb: expect.any(Number) });
      expect(pane.figures!.bitsPerByte).toEqual(expect.any(Number));
    }
    const again = panesOf((await paretoWith(env, ...args)).stdout);
    // λ re-plans from costs that every run refines, so the text is compared where the same point ran.
    for (const [index, pane] of again.entries()) {
      if (JSON.stringify(pane.point) === JSON.stringify(panes[index]!.point)) expect(pane.text!.text).toBe(panes[index]!.text!.text);
    }
  });

  it('runs hand-set points, the same text for the same seed twice', async () => {
    const args = ['compare', 'text', '--prompt', 'A cat', '--seed', '4', '--point', `${tinyStoriesOnnx()}:fp32:2`, '--point', tinyStoriesOnnx(), '--max-new-tokens', '10', '--json'];
    const [first, second] = await Promise.all([pareto(...args), pareto(...args)]);
    const texts = (stdout: string) => panesOf(stdout).map((pane) => pane.text!.text);
    expect(panesOf(first.stdout).map((pane) => [pane.point!.precision, pane.point!.depth])).toEqual([['fp32', 2], ['fp32', 2]]);
    expect(texts(second.stdout)).toEqual(texts(first.stdout));
  });

  it('compares image points and writes the grid PNG with its parameters', async () => {
    const model = sdFixture({ variants: true });
    const out = path.join(temporaryDir(), 'grid.png');
    const result = await pareto('compare', 'image', '--prompt', 'a red circle', '--seed', '2', '--point', `${model}:fp32:2`, '--point', `${model}:int8:2`, '--out', out, '--json');
    expect(result.code).toBe(0);
    expect(panesOf(result.stdout).map((pane) => [pane.point!.precision, pane.point!.steps, pane.image!.parameters.seed])).toEqual([['fp32', 2, 2], ['int8', 2, 2]]);
    const grid = fs.readFileSync(out);
    expect(decodePng(grid).width).toBe(64 * 2 + 4);
    expect(readPngText(grid).parameters).toMatch(/^a red circle\n.*Seed: 2.*Compare: ".*fp32 · 2 steps \| .*int8 · 2 steps"$/s);
  });

  it('reads MODEL[:PRECISION[:DEPTH|STEPS]] points', () => {
    expect(pointMode('text', 'student:int8:4')).toEqual({ model: 'student', precision: 'int8', depth: 4 });
    expect(pointMode('image', 'emoji:fp16:8')).toEqual({ model: 'emoji', precision: 'fp16', steps: 8 });
    expect(pointMode('text', 'student')).toEqual({ model: 'student', precision: undefined, depth: undefined });
  });

  it('gives one line and a non-zero exit for each kind of bad input', async () => {
    const model = tinyStoriesOnnx();
    const cases: [string[], RegExp][] = [
      [['text', '--prompt', 'x'], /modes: a comparison needs 2 to 4 modes/],
      [['text', '--prompt', 'x', '--lambda', '0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8'], /a comparison takes at most 4 modes/],
      [['text', '--prompt', 'x', '--point', model, '--point', 'no-such-model'], /Mode 2 \(no-such-model\): No model "no-such-model"/],
      [['text', '--prompt', 'x', '--point', `${model}:fp32:two`], /--point depth must be an integer/],
      [['text', '--prompt', 'x', '--lambda', '0,1.5'], /--lambda must be a number from 0 to 1, got "1.5"/],
      [['text', '--lambda', '0,1'], /--prompt is required/],
      [['video', '--prompt', 'x'], /Unknown compare target "video"/],
      [['text', '--prompt', 'x', '--lambda', '0,1', '--out', 'grid.png'], /--out names the grid \.png of an image comparison/],
    ];
    const results = await Promise.all(cases.map(([args]) => pareto('compare', ...args)));
    results.forEach((result, index) => expectOneLineError(result, cases[index]![1]));
  });
});
