import { describe, expect, it } from 'vitest';
import type { Settings } from '../../../native/contract';
import { buildTextRequest, formFromSettings, type GenerationForm } from './generationForm';

const settings: Settings = { defaultModel: null, ep: 'cpu', maxNewTokens: 64, temperature: 0.8, topK: 40, topP: 0.95, threads: null, graphOptimizationLevel: 'all', sessionCacheMb: 1024, importedModels: [] };
const form = (patch: Partial<GenerationForm> = {}): GenerationForm => ({ ...formFromSettings(settings), ...patch });

describe('buildTextRequest', () => {
  it('sends only the length and provider when greedy', () => {
    expect(buildTextRequest('tiny', 'Once', form({ mode: 'greedy', seed: '7' }))).toEqual({
      ok: true,
      request: { model: 'tiny', prompt: 'Once', ep: 'cpu', doSample: false, maxNewTokens: 64 },
    });
  });

  it('sends the sampling knobs, and the seed only when one is given', () => {
    const sampled = buildTextRequest('tiny', 'Once', form({ seed: '42' }));
    expect(sampled).toEqual({ ok: true, request: { model: 'tiny', prompt: 'Once', ep: 'cpu', doSample: true, maxNewTokens: 64, temperature: 0.8, topK: 40, topP: 0.95, seed: 42 } });
    const unseeded = buildTextRequest('tiny', 'Once', form());
    expect(unseeded.ok && 'seed' in unseeded.request).toBe(false);
  });

  it('names a precision variant only when one is chosen', () => {
    const built = buildTextRequest('tiny', 'Once', form({ mode: 'greedy', precision: 'int8' }));
    expect(built.ok && built.request.precision).toBe('int8');
  });

  it('says which field is wrong', () => {
    expect(buildTextRequest(null, 'Once', form())).toEqual({ ok: false, message: 'Choose a model first, or add a model folder.' });
    expect(buildTextRequest('tiny', 'Once', form({ maxNewTokens: '' }))).toEqual({ ok: false, message: 'Max new tokens must be a number.' });
    const outOfRange = buildTextRequest('tiny', 'Once', form({ topP: '1.5' }));
    expect(outOfRange.ok).toBe(false);
    expect(!outOfRange.ok && outOfRange.message).toMatch(/^Top-p: /);
  });
});
