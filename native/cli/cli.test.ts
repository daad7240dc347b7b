import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyModel, referenceGreedy, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { expectOneLineError, pareto } from '../testing/cli';

describe('pareto generate text', () => {
  it('prints the reference greedy tokens as JSON', async () => {
    const result = await pareto('generate', 'text', '--model', tinyStoriesOnnx(), '--prompt', '', '--max-new-tokens', '40', '--greedy', '--json');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.generatedIds).toEqual(referenceGreedy().output_ids.slice(1));
    expect(output.promptIds).toEqual([1]);
    expect(output.text).toMatch(/^Once upon a time/);
    expect(Object.keys(output.metrics)).toEqual(expect.arrayContaining(['ttftMs', 'msPerToken', 'tokensPerSecond', 'energyJ', 'energySource', 'peakRssMb']));
  });

  it('is reproducible for a seed', async () => {
    const sample = (seed: string) => pareto('generate', 'text', '--model', tinyStoriesOnnx(), '--prompt', '', '--max-new-tokens', '25', '--seed', seed, '--temperature', '0.8', '--json');
    const [a, b, c] = await Promise.all([sample('7'), sample('7'), sample('8')]);
    const ids = (r: { stdout: string }) => JSON.parse(r.stdout).generatedIds;
    expect(ids(a)).toEqual(ids(b));
    expect(ids(c)).not.toEqual(ids(a));
    expect(JSON.parse(a.stdout).config).toMatchObject({ doSample: true, seed: 7, temperature: 0.8 });
  });

  it('prints log-probabilities and applies presence and frequency penalties', async () => {
    const result = await pareto('generate', 'text', '--model', tinyStoriesOnnx(), '--prompt', '', '--max-new-tokens', '30', '--greedy', '--logprobs', '2', '--frequency-penalty', '1', '--json');
    const output = JSON.parse(result.stdout);
    expect(output.config).toMatchObject({ frequencyPenalty: 1, presencePenalty: null });
    expect(output.logprobs).toHaveLength(output.generatedIds.length);
    expect(output.logprobs[0].top).toHaveLength(2);
    expect(output.generatedIds).not.toEqual(referenceGreedy().output_ids.slice(1, 31));
  });

  it('gives one line and a non-zero exit for each kind of bad input', async () => {
    const noOnnx = temporaryDir();
    fs.writeFileSync(path.join(noOnnx, 'config.json'), '{}');
    const truncated = copyModel(tinyStoriesOnnx());
    fs.truncateSync(path.join(truncated, 'onnx', 'model.onnx'), 50_000);
    const cases: [string[], RegExp][] = [
      [['--model', '/no/such/model', '--prompt', 'hi'], /Model folder not found: \/no\/such\/model/],
      [['--model', noOnnx, '--prompt', 'hi'], /has no onnx\/ folder/],
      [['--model', truncated, '--prompt', 'hi'], /onnx\/model\.onnx could not be loaded: it is truncated/],
      [['--model', tinyStoriesOnnx(), '--prompt', 'the dog ran. '.repeat(300)], /prompt is \d+ tokens but .* holds 512/],
      [['--model', tinyStoriesOnnx(), '--prompt', 'hi', '--max-new-tokens', 'ten'], /--max-new-tokens must be an integer/],
      [['--model', tinyStoriesOnnx(), '--prompt', 'hi', '--greedy', '--seed', '3'], /--greedy cannot be combined/],
      [['--model', tinyStoriesOnnx(), '--prompt', 'hi', '--bogus'], /Unknown option '--bogus'/],
      [['--model', tinyStoriesOnnx(), '--prompt', 'hi', '--presence-penalty', '3'], /--presence-penalty must be/],
      [['--model', tinyStoriesOnnx()], /--prompt is required/],
    ];
    const results = await Promise.all(cases.map(([args]) => pareto('generate', 'text', ...args)));
    results.forEach((result, index) => expectOneLineError(result, cases[index]![1]));
  });

  it('names an unknown command', async () => {
    expectOneLineError(await pareto('frobnicate'), /Unknown command "frobnicate"/);
  });
});

describe('pareto calibrate', () => {
  it('gives one line and a non-zero exit for bad input, and names what is installed', async () => {
    const cases: [string[], RegExp][] = [
      [[], /No bundled model family is installed to calibrate; name one with --family/],
      [['--family', 'nope'], /No family named "nope"; installed families: none/],
      [['--repeats', '0'], /--repeats must be an integer from 1 to 50/],
      [['--kind', 'audio'], /--kind must be one of text, image/],
    ];
    const results = await Promise.all(cases.map(([args]) => pareto('calibrate', ...args)));
    results.forEach((result, index) => expectOneLineError(result, cases[index]![1]));
  });

  it('refuses λ outside 0–1 in one line', async () => {
    expectOneLineError(await pareto('generate', 'text', '--prompt', 'hi', '--lambda', '1.5'), /--lambda must be a number from 0 to 1/);
  });
});

describe('pareto bench text', () => {
  it('runs the PyTorch peer from the built CLI and times a cold start at the precision it ran', async () => {
    const result = await pareto('bench', 'text', '--peers', 'pytorchEager', '--repeats', '1', '--new-tokens', '8', '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.skipped).toEqual({});
    expect(report.peers.pytorchEager.msPerTokenMedian).toBeGreaterThan(0);
    expect(report.peers.pytorchEager.sameTokens).toBe(true);
    expect(report.precision).toBe('fp32');
    expect(report.coldStart.firstLoadMs).toBeGreaterThan(0);
    expect(report.coldStart.firstLoadExitMs).toBeGreaterThanOrEqual(report.coldStart.firstLoadMs);
  }, 120_000);
});
