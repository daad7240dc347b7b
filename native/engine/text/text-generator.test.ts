import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, TextGenerationRequestSchema, type TextGenerationRequest } from '../../contract';
import { referenceGreedy, tinyStoriesOnnx } from '../../testing/fixtures';
import { loadTextModelFolder } from './model-folder';
import { TextGenerator } from './text-generator';
import { SessionPool } from '../onnx/session-pool';
import type { DecoderSession } from './decoder-session';

let generator: TextGenerator;
const pool = new SessionPool<DecoderSession>(Infinity);
const request = (fields: Partial<TextGenerationRequest>) => TextGenerationRequestSchema.parse({ model: 'fixture', prompt: '', ...fields });

beforeAll(() => {
  generator = new TextGenerator(loadTextModelFolder(tinyStoriesOnnx()), pool);
});
afterAll(() => pool.closeAll());

describe('TextGenerator on the TinyStories 656K fixture', () => {
  it('reproduces the reference greedy tokens exactly', async () => {
    const reference = referenceGreedy();
    const result = await generator.generate(request({ maxNewTokens: 40, doSample: false }));
    expect(result.promptIds).toEqual(reference.input_ids);
    expect(result.generatedIds).toEqual(reference.output_ids.slice(1));
    expect(result.text.startsWith('Once upon a time, there was a little girl named Lily.')).toBe(true);
    expect(result.finishReason).toBe('length');
  });

  it('samples the same tokens for the same seed and different ones for another', async () => {
    const sampled = (seed: number) => generator.generate(request({ prompt: 'Once upon a time', maxNewTokens: 30, seed, temperature: 0.8 }));
    const [first, again, other] = [await sampled(7), await sampled(7), await sampled(8)];
    expect(first.config.doSample).toBe(true);
    expect(again.generatedIds).toEqual(first.generatedIds);
    expect(other.generatedIds).not.toEqual(first.generatedIds);
  });

  it('streams text that adds up to the final text, spaces included', async () => {
    const pieces: string[] = [];
    const result = await generator.generate(request({ prompt: 'Once upon a time', maxNewTokens: 50, doSample: false }), { onText: (text) => pieces.push(text) });
    expect(pieces.join('')).toBe(result.text);
    expect(result.text).toMatch(/^[,. ]/);
  });

  it('stops within one token of a cancel', async () => {
    const controller = new AbortController();
    let tokens = 0;
    const result = await generator.generate(request({ maxNewTokens: 400, doSample: false }), {
      signal: controller.signal,
      onToken: () => {
        if (++tokens === 10) controller.abort();
      },
    });
    expect(result.finishReason).toBe('cancelled');
    expect(result.generatedIds).toHaveLength(10);
  });

  it('suppresses the end token until min-new-tokens and stops at the context limit', async () => {
    const result = await generator.generate(request({ maxNewTokens: 600, minNewTokens: 600, doSample: false }));
    expect(result.finishReason).toBe('context');
    expect(result.promptIds.length + result.generatedIds.length).toBe(512);
    expect(result.generatedIds).not.toContain(2);
  });

  it('rejects a prompt longer than the context with a sentence naming both sizes', () => {
    const long = 'the cat sat on the mat. '.repeat(200);
    expect(() => generator.encodePrompt({ prompt: long })).toThrowError(ApiError);
    expect(() => generator.encodePrompt({ prompt: long })).toThrowError(/prompt is \d+ tokens but tinystories-656k-onnx holds 512/);
  });

  it('reports metrics for the run', async () => {
    const { metrics } = await generator.generate(request({ maxNewTokens: 20, doSample: false }));
    expect(metrics.generatedTokens).toBe(20);
    expect(metrics.promptTokens).toBe(1);
    expect(metrics.ttftMs).toBeGreaterThan(0);
    expect(metrics.msPerToken).toBeGreaterThan(0);
    expect(metrics.tokensPerSecond).toBeCloseTo(1000 / metrics.msPerToken!, 6);
    expect(metrics.peakRssMb).toBeGreaterThan(10);
    expect(metrics.energyJ).toBeNull();
  });
});
