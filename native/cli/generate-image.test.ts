import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGenerationParameters } from '../engine/image/generation-parameters';
import { copyModel, sdFixture, temporaryDir } from '../testing/fixtures';
import { expectOneLineError, pareto } from '../testing/cli';

describe('pareto generate image', () => {
  it('writes the same PNG twice for a seed, with the request inside it', async () => {
    const model = sdFixture();
    const dir = temporaryDir();
    const [a, b] = [path.join(dir, 'a.png'), path.join(dir, 'b.png')];
    const args = (out: string) => ['generate', 'image', '--model', model, '--prompt', 'a red circle', '--steps', '4', '--seed', '1', '--out', out];
    const [first, second] = await Promise.all([pareto(...args(a)), pareto(...args(b))]);
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(first.stdout.trim()).toBe(a);
    expect(first.stderr).toMatch(/\[64x64, 4 steps \(4 fp32\), [\d.]+ ms\/step, [\d.]+ s\/image, guidance batched/);
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
    expect(readGenerationParameters(fs.readFileSync(a)).parameters).toEqual({
      model, prompt: 'a red circle', negativePrompt: '', steps: 4, guidance: 7.5, seed: 1,
      scheduler: 'ddim', precision: 'fp32', dynamicPrecision: null, width: 64, height: 64,
    });
    expect(fs.readdirSync(dir).sort()).toEqual(['a.png', 'b.png']); // no temporary files left behind
  });

  it('prints JSON with the parameters and metrics', async () => {
    const out = path.join(temporaryDir(), 'x.png');
    const result = await pareto('generate', 'image', '--model', sdFixture(), '--prompt', 'a cat', '--negative-prompt', 'ugly', '--steps', '2', '--seed', '7',
      '--scheduler', 'euler-a', '--guidance', '3', '--width', '128', '--height', '64', '--cfg', 'two-pass', '--out', out, '--json');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ pngPath: out, width: 128, height: 64, cfg: 'two-pass', parameters: { scheduler: 'euler-a', guidance: 3, negativePrompt: 'ugly', seed: 7 } });
    expect(output.parametersText).toMatch(/^a cat\nNegative prompt: ugly\nSteps: 2, Sampler: Euler a, CFG scale: 3, Seed: 7, Size: 128x64/);
    expect(Object.keys(output.metrics)).toEqual(expect.arrayContaining(['msPerStep', 'sPerImage', 'peakRssMb', 'energyJ', 'precisionSteps']));
    expect(output.png).toBeUndefined();
  });

  it('writes a batch as FILE-1.png … FILE-N.png in seed order, one JSON line per image', async () => {
    const model = sdFixture();
    const dir = temporaryDir();
    const out = path.join(dir, 'a.png');
    const listed = await pareto('generate', 'image', '--model', model, '--prompt', 'a red circle', '--steps', '2', '--seed', '5', '--batch', '3', '--out', out);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n')).toEqual([`${path.join(dir, 'a-1.png')}  seed 5`, `${path.join(dir, 'a-2.png')}  seed 6`, `${path.join(dir, 'a-3.png')}  seed 7`]);
    expect(listed.stderr).toMatch(/\[64x64, batch of 3, 2 steps/);
    expect(readGenerationParameters(fs.readFileSync(path.join(dir, 'a-2.png'))).parameters?.seed).toBe(6);

    const json = await pareto('generate', 'image', '--model', model, '--prompt', 'a red circle', '--steps', '2', '--seeds', '9,2', '--out', path.join(dir, 'b.png'), '--json');
    const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((line) => [path.basename(line.pngPath), line.parameters.seed, line.metrics.batchSize])).toEqual([['b-1.png', 9, 2], ['b-2.png', 2, 2]]);
    expect(fs.readdirSync(dir).sort()).toEqual(['a-1.png', 'a-2.png', 'a-3.png', 'b-1.png', 'b-2.png']);
  });

  it('gives one line and a non-zero exit for each kind of bad input', async () => {
    const model = sdFixture();
    const noUnet = copyModel(model);
    fs.rmSync(path.join(noUnet, 'unet'), { recursive: true });
    const out = path.join(temporaryDir(), 'o.png');
    const cases: [string[], RegExp][] = [
      [['--model', '/no/such/model', '--prompt', 'hi', '--out', out], /Model folder not found: \/no\/such\/model/],
      [['--model', noUnet, '--prompt', 'hi', '--out', out], /unet\/model\.onnx is missing/],
      [['--model', model, '--prompt', 'hi'], /--out FILE\.png is required/],
      [['--model', model, '--prompt', 'hi', '--out', 'x.jpg'], /--out must name a \.png file/],
      [['--model', model, '--prompt', 'hi', '--out', out, '--steps', 'four'], /--steps must be an integer/],
      [['--model', model, '--prompt', 'hi', '--out', out, '--scheduler', 'plms'], /--scheduler must be one of ddim, euler-a, dpm\+\+2m, lcm/],
      [['--model', model, '--prompt', 'hi', '--out', out, '--width', '100'], /width must be a multiple of 8/],
      [['--model', model, '--prompt', 'hi', '--out', out, '--batch', '5'], /--batch must be an integer from 1 to 4/],
      [['--model', model, '--prompt', 'hi', '--out', out, '--seeds', '1,2', '--seed', '3'], /--seeds sets the batch and its seeds: drop --seed and --batch/],
      [['--model', model, '--prompt', 'hi', '--out', out, '--precision', 'int8'], /has no int8 UNet; it offers fp32/],
      [['--prompt', 'hi', '--out', out], /No model given and no image model is installed/],
      [['--model', model, '--prompt', 'hi', '--out', out, '--lambda', '0.5'], /λ needs a model family with measured quality .* Set precision and steps directly/],
    ];
    const results = await Promise.all(cases.map(([args]) => pareto('generate', 'image', ...args)));
    results.forEach((result, index) => expectOneLineError(result, cases[index]![1]));
    expect(fs.existsSync(out)).toBe(false);
  });
});
