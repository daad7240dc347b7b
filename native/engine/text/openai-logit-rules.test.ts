import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, TextGenerationRequestSchema, type TextGenerationRequest } from '../../contract';
import { tinyStoriesOnnx } from '../../testing/fixtures';
import { SessionPool } from '../onnx/session-pool';
import type { DecoderSession } from './decoder-session';
import { LogitBiasProcessor, PresenceFrequencyPenaltyLogitsProcessor } from './logits-processors';
import { loadTextModelFolder } from './model-folder';
import { TextGenerator } from './text-generator';

/** The logit rules OpenAI's API names: logit_bias, presence_penalty and frequency_penalty. */
const folder = loadTextModelFolder(tinyStoriesOnnx());
const pool = new SessionPool<DecoderSession>(Infinity);
let generator: TextGenerator;
const request = (fields: Partial<TextGenerationRequest>) => TextGenerationRequestSchema.parse({ model: 'fixture', prompt: 'Once upon a time', ...fields });

beforeAll(() => {
  generator = new TextGenerator(folder, pool);
});
afterAll(() => pool.closeAll());

describe('logit bias', () => {
  it('adds its bias to the named tokens', () => {
    const logits = Float32Array.from([1, 1, 1]);
    new LogitBiasProcessor(new Map([[0, -100], [2, 2.5]])).process(logits);
    expect([...logits]).toEqual([-99, 1, 3.5]);
  });

  it('bans a token from greedy output and forces another, and refuses an id outside the vocabulary', async () => {
    const plain = await generator.generate(request({ maxNewTokens: 8, doSample: false }));
    const banned = await generator.generate(request({ maxNewTokens: 8, doSample: false, logitBias: { [plain.generatedIds[0]!]: -100 } }));
    expect(banned.generatedIds[0]).not.toBe(plain.generatedIds[0]);
    expect(banned.config.logitBias).toEqual({ [plain.generatedIds[0]!]: -100 });
    const forced = await generator.generate(request({ maxNewTokens: 4, doSample: false, logitBias: { 42: 100 } }));
    expect(forced.generatedIds).toEqual([42, 42, 42, 42]);
    const outside = await generator.generate(request({ logitBias: { [folder.config.vocabSize]: 1 } })).catch((error: unknown) => error);
    expect(outside).toBeInstanceOf(ApiError);
    expect(outside).toMatchObject({ code: 'bad_request', param: 'logitBias' });
  });
});

describe('presence and frequency penalties', () => {
  it('take presence once and frequency per occurrence off each generated token', () => {
    const logits = Float32Array.from([1, 1, 1, 1]);
    new PresenceFrequencyPenaltyLogitsProcessor(0.5, 0.25).process(logits, [1, 2, 2, 2]);
    expect([...logits]).toEqual([1, 0.25, -0.25, 1]);
  });

  it('change greedy output, and a negative frequency penalty encourages repeats', async () => {
    const plain = await generator.generate(request({ maxNewTokens: 60, doSample: false }));
    const penalised = await generator.generate(request({ maxNewTokens: 60, doSample: false, frequencyPenalty: 1, presencePenalty: 0.5 }));
    expect(penalised.config).toMatchObject({ frequencyPenalty: 1, presencePenalty: 0.5 });
    expect(penalised.generatedIds).not.toEqual(plain.generatedIds);
    const distinct = (ids: number[]) => new Set(ids).size;
    expect(distinct(penalised.generatedIds)).toBeGreaterThan(distinct(plain.generatedIds));
    const repeating = await generator.generate(request({ maxNewTokens: 60, doSample: false, frequencyPenalty: -2 }));
    expect(distinct(repeating.generatedIds)).toBeLessThan(distinct(plain.generatedIds));
  });
});
