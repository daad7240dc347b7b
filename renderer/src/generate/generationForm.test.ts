import { describe, expect, it } from 'vitest';
import { TextGenerationRequestSchema, type Settings } from '../../../native/contract';
import { EXPERT_DEFAULTS, buildTextRequest, countOverrides, fitFormToKnobs, formFromRequest, formFromSettings, parseStopStrings, windowPatch, type GenerationForm } from './generationForm';

const settings: Settings = { defaultModel: null, lambda: 0.5, lambdaPresets: [], ep: 'cpu', maxNewTokens: 64, temperature: 0.8, topK: 40, topP: 0.95, threads: null, graphOptimizationLevel: 'all', sessionCacheMb: 1024, historyLimit: 100, importedModels: [],
  energyController: { enabled: false, batteryLambdaShift: 0.3, latencyMsPerToken: null, latencySPerImage: null, energyJPerToken: null, energyJPerImage: null }, imageScaling: 'crisp',
  apiServer: { enabled: false, port: 5299 },
  checkForUpdates: false,
};
const form = (patch: Partial<GenerationForm> = {}): GenerationForm => ({ ...formFromSettings(settings), ...patch });
const tiny = { model: 'tiny' };
const requestOf = (built: ReturnType<typeof buildTextRequest>) => {
  if (!built.ok) throw new Error(built.message);
  return built.request;
};

describe('buildTextRequest: which model and λ', () => {
  it('sends λ and no model in Auto mode', () => {
    expect(buildTextRequest({ lambda: 0.25 }, 'Once', form({ mode: 'greedy' }))).toEqual({
      ok: true,
      request: { lambda: 0.25, prompt: 'Once', ep: 'cpu', doSample: false, maxNewTokens: 64 },
    });
  });

  it('sends the model and λ for a family model, the model alone otherwise', () => {
    expect(requestOf(buildTextRequest({ model: 'student-s', lambda: 1 }, 'Once', form({ mode: 'greedy' })))).toMatchObject({ model: 'student-s', lambda: 1 });
    const explicit = requestOf(buildTextRequest(tiny, 'Once', form({ mode: 'greedy' })));
    expect(explicit.model).toBe('tiny');
    expect('lambda' in explicit).toBe(false);
  });

  it('asks for a model when there is nothing to run', () => {
    expect(buildTextRequest(null, 'Once', form())).toEqual({ ok: false, message: 'Choose a model first, or add a model folder.' });
  });
});

describe('buildTextRequest: decoding', () => {
  it('sends only the length and provider when greedy', () => {
    expect(buildTextRequest(tiny, 'Once', form({ mode: 'greedy', seed: '7', minP: '0.1' }))).toEqual({
      ok: true,
      request: { model: 'tiny', prompt: 'Once', ep: 'cpu', doSample: false, maxNewTokens: 64 },
    });
  });

  it('sends the sampling knobs, and the seed only when one is given', () => {
    const sampled = buildTextRequest(tiny, 'Once', form({ seed: '42' }));
    expect(sampled).toEqual({ ok: true, request: { model: 'tiny', prompt: 'Once', ep: 'cpu', doSample: true, maxNewTokens: 64, temperature: 0.8, topK: 40, topP: 0.95, seed: 42 } });
    expect('seed' in requestOf(buildTextRequest(tiny, 'Once', form()))).toBe(false);
  });

  it('says which field is wrong', () => {
    expect(buildTextRequest(tiny, 'Once', form({ maxNewTokens: '' }))).toEqual({ ok: false, message: 'Max new tokens must be a number.' });
    const outOfRange = buildTextRequest(tiny, 'Once', form({ topP: '1.5' }));
    expect(!outOfRange.ok && outOfRange.message).toMatch(/^Top-p: /);
  });
});

describe('buildTextRequest: expert overrides', () => {
  it('sends no override the user did not set', () => {
    const request = requestOf(buildTextRequest({ lambda: 0.5 }, 'Once', form()));
    for (const key of ['precision', 'depth', 'window', 'sinks', 'dynamicPrecision', 'stop', 'repetitionPenalty', 'minP']) expect(key in request).toBe(false);
  });

  it('sends each override that is set', () => {
    const request = requestOf(
      buildTextRequest({ lambda: 0.5 }, 'Once', form({ precision: 'int8', depth: '3', windowMode: 'fixed', window: '128', sinks: '2', stop: 'The end, \n\nTHE END', repetitionPenalty: '1.1', minP: '0.05' })),
    );
    expect(request).toMatchObject({ lambda: 0.5, precision: 'int8', depth: 3, window: 128, sinks: 2, stop: ['The end', 'THE END'], repetitionPenalty: 1.1, minP: 0.05 });
  });

  it("sends window 'auto' and the sinks only when typed", () => {
    const request = requestOf(buildTextRequest(tiny, 'Once', form({ windowMode: 'auto', window: '99' })));
    expect(request.window).toBe('auto');
    expect('sinks' in request).toBe(false);
    expect('sinks' in requestOf(buildTextRequest(tiny, 'Once', form({ windowMode: 'off', sinks: '8' })))).toBe(false);
  });

  it('sends dynamic precision instead of a fixed precision, with the threshold only when typed', () => {
    const request = requestOf(buildTextRequest(tiny, 'Once', form({ precision: 'fp16', dynamicPrecision: true, cheapPrecision: 'int8', fullPrecision: 'fp32' })));
    expect(request.dynamicPrecision).toEqual({ cheap: 'int8', full: 'fp32' });
    expect('precision' in request).toBe(false);
    const withThreshold = requestOf(buildTextRequest(tiny, 'Once', form({ dynamicPrecision: true, cheapPrecision: 'int8', fullPrecision: 'fp32', entropyThreshold: '2' })));
    expect(withThreshold.dynamicPrecision).toEqual({ cheap: 'int8', full: 'fp32', entropyThreshold: 2 });
  });

  it('explains a bad override in the words of the panel', () => {
    expect(buildTextRequest(tiny, 'Once', form({ dynamicPrecision: true, cheapPrecision: 'int8', fullPrecision: 'int8' }))).toEqual({ ok: false, message: 'Dynamic precision needs two different variants: a cheap one and a full one.' });
    expect(buildTextRequest(tiny, 'Once', form({ windowMode: 'fixed', window: '' }))).toEqual({ ok: false, message: 'Attention window must be a number.' });
    const threshold = buildTextRequest(tiny, 'Once', form({ dynamicPrecision: true, cheapPrecision: 'int8', fullPrecision: 'fp32', entropyThreshold: '99' }));
    expect(!threshold.ok && threshold.message).toMatch(/^Entropy threshold: /);
    const penalty = buildTextRequest(tiny, 'Once', form({ repetitionPenalty: '0' }));
    expect(!penalty.ok && penalty.message).toMatch(/^Repetition penalty: /);
  });
});

describe('expert form helpers', () => {
  it('splits stop strings on commas and newlines', () => {
    expect(parseStopStrings(' The end ,\n\n,Moral:\nThe end')).toEqual(['The end', 'Moral:']);
    expect(parseStopStrings('')).toEqual([]);
  });

  it('drops selections the chosen model cannot run', () => {
    const edited = form({ precision: 'q4', depth: '6', dynamicPrecision: true, cheapPrecision: 'int8', fullPrecision: 'fp32' });
    expect(fitFormToKnobs(edited, { variants: ['fp32', 'int8', 'q4'], depths: [3, 6] })).toBe(edited);
    expect(fitFormToKnobs(edited, { variants: ['fp32'], depths: [2] })).toMatchObject({ precision: '', depth: '', dynamicPrecision: false, cheapPrecision: '', fullPrecision: 'fp32' });
  });

  it('fixes the window when W is typed and turns a fixed window off when W is cleared', () => {
    expect(windowPatch('off', '64')).toEqual({ window: '64', windowMode: 'fixed' });
    expect(windowPatch('fixed', '')).toEqual({ window: '', windowMode: 'off' });
    expect(windowPatch('auto', '')).toEqual({ window: '', windowMode: 'auto' });
  });

  it('counts the overrides in force', () => {
    expect(countOverrides(form())).toBe(0);
    expect(countOverrides(form({ ...EXPERT_DEFAULTS, precision: 'int8', stop: 'x', windowMode: 'auto' }))).toBe(3);
  });
});

describe('formFromRequest: reopening a story from history', () => {
  const forms: Partial<GenerationForm>[] = [
    {},
    { mode: 'greedy', maxNewTokens: '30' },
    { seed: '7', temperature: '0.6', topK: '12', topP: '0.9', minP: '0.05', repetitionPenalty: '1.2', stop: 'The end, ###' },
    { precision: 'int8', depth: '4', windowMode: 'fixed', window: '128', sinks: '8', ep: 'cuda' },
    { windowMode: 'auto', dynamicPrecision: true, cheapPrecision: 'int8', fullPrecision: 'fp32', entropyThreshold: '2' },
  ];
  it.each(forms)('asks for the same story again: %o', (patch) => {
    const made = requestOf(buildTextRequest({ model: 'tiny', lambda: 0.3 }, 'A fox', form(patch)));
    const stored = TextGenerationRequestSchema.parse(made);
    const reopened = formFromRequest(stored, formFromSettings({ ...settings, temperature: 1.3, maxNewTokens: 9 }));
    // The same request once the host fills its defaults in (an explicit default sink count is the default).
    expect(TextGenerationRequestSchema.parse(requestOf(buildTextRequest({ model: 'tiny', lambda: 0.3 }, 'A fox', reopened)))).toEqual(stored);
  });
});
