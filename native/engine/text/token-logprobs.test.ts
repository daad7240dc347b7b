import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TextGenerationRequestSchema, type TextGenerationRequest, type TextResult } from '../../contract';
import { tinyStoriesOnnx } from '../../testing/fixtures';
import { SessionPool } from '../onnx/session-pool';
import { DecoderSession } from './decoder-session';
import { findOperatingPoint, loadTextModelFolder } from './model-folder';
import { negativeLogLikelihood, teacherForcedLogits } from './teacher-forcing';
import { TextGenerator } from './text-generator';

const folder = loadTextModelFolder(tinyStoriesOnnx());
const pool = new SessionPool<DecoderSession>(Infinity);
let generator: TextGenerator;
let scorer: DecoderSession;
const request = (fields: Partial<TextGenerationRequest>) => TextGenerationRequestSchema.parse({ model: 'fixture', prompt: 'Once upon a time', ...fields });

beforeAll(async () => {
  generator = new TextGenerator(folder, pool);
  scorer = await DecoderSession.open(folder, findOperatingPoint(folder), 'cpu');
});
afterAll(async () => {
  await scorer.release();
  await pool.closeAll();
});

/** The model's log-softmax at each generated token, from one teacher-forced pass over prompt + output (no cache). */
async function referenceLogprobs(result: TextResult): Promise<number[]> {
  const ids = [...result.promptIds, ...result.generatedIds];
  const rows = await teacherForcedLogits(scorer, ids);
  return result.generatedIds.map((id, i) => -negativeLogLikelihood(rows[result.promptIds.length - 1 + i]!, id));
}

describe('token log-probabilities', () => {
  it('gives each greedy token as its own top-1, at the log-softmax of the model', async () => {
    const result = await generator.generate(request({ maxNewTokens: 24, doSample: false, logprobs: 5 }));
    const entries = result.logprobs!;
    expect(entries.map((entry) => entry.id)).toEqual(result.generatedIds);
    const reference = await referenceLogprobs(result);
    entries.forEach((entry, i) => {
      expect(entry.top).toHaveLength(5);
      expect(entry.top[0]).toEqual({ id: entry.id, token: entry.token, logprob: entry.logprob });
      expect(entry.logprob).toBeCloseTo(reference[i]!, 4);
      expect(entry.top.map((top) => top.logprob)).toEqual([...entry.top.map((top) => top.logprob)].sort((a, b) => b - a));
    });
    expect(entries.reduce((sum, entry) => sum + Math.exp(entry.logprob), 0)).toBeLessThanOrEqual(entries.length);
    expect(entries.map((entry) => entry.token).join('')).toBe(result.text);
  });

  it('reports the model distribution, not the one reshaped by temperature, for sampled tokens', async () => {
    const result = await generator.generate(request({ maxNewTokens: 16, temperature: 1.8, topK: 0, seed: 3, logprobs: 0 }));
    const reference = await referenceLogprobs(result);
    result.logprobs!.forEach((entry, i) => {
      expect(entry.top).toEqual([]);
      expect(entry.logprob).toBeCloseTo(reference[i]!, 4);
    });
  });

  it('streams each token’s entry with its text', async () => {
    const streamed: number[] = [];
    const result = await generator.generate(request({ maxNewTokens: 20, doSample: false, logprobs: 1 }), {
      onText: (_text, ids, logprobs) => {
        expect(logprobs!.map((entry) => entry.id)).toEqual(ids);
        streamed.push(...ids);
      },
    });
    expect(streamed).toEqual(result.generatedIds.slice(0, streamed.length));
    expect(streamed.length).toBeGreaterThan(10);
  });

  it('leaves out the tokens of a stop string, as the text does', async () => {
    const result = await generator.generate(request({ prompt: '', maxNewTokens: 40, doSample: false, stop: [' Lily'], logprobs: 0 }));
    expect(result.finishReason).toBe('stop');
    const joined = result.logprobs!.map((entry) => entry.token).join('');
    // The fixture's tokens hold phrases with their trailing space: the last one kept ends in the stop string's first character.
    expect(joined.startsWith(result.text)).toBe(true);
    expect(joined.length).toBeLessThan(result.text.length + ' Lily'.length);
    expect(result.logprobs!.length).toBeLessThan(result.generatedIds.length);
  });

  it('leaves the result without logprobs unless asked', async () => {
    expect((await generator.generate(request({ maxNewTokens: 4, doSample: false }))).logprobs).toBeNull();
  });
});
