import { describe, expect, it } from 'vitest';
import { buildCompareRequest, canAddMode, canRemoveMode, initialCompareForm, type CompareForm } from './compareForm';

const form = (patch: Partial<CompareForm>): CompareForm => ({ ...initialCompareForm(), ...patch });

describe('the compare form', () => {
  it('starts with three λ modes and builds a text request with one seed', () => {
    const built = buildCompareRequest(form({ prompt: 'Once' }));
    expect(built).toEqual({ ok: true, request: { kind: 'text', prompt: 'Once', seed: 1, maxNewTokens: 120, modes: [{ lambda: 0 }, { lambda: 0.5 }, { lambda: 1 }] } });
  });

  it('turns hand-set points into depth for text and steps for images, leaving blank knobs to the model', () => {
    const modes = [{ type: 'point' as const, model: 'm', precision: 'int8', knob: '4', window: '64' }, { type: 'point' as const, model: 'm', precision: '', knob: '', window: '' }];
    expect(buildCompareRequest(form({ modes }))).toMatchObject({ ok: true, request: { modes: [{ model: 'm', precision: 'int8', depth: 4, window: 64 }, { model: 'm', precision: undefined, depth: undefined, window: undefined }] } });
    const image = buildCompareRequest(form({ kind: 'image', modes, seed: '' }));
    expect(image).toEqual({ ok: true, request: { kind: 'image', prompt: '', seed: undefined, modes: [{ model: 'm', precision: 'int8', steps: 4 }, { model: 'm', precision: undefined, steps: undefined }] } });
  });

  it('says what is wrong', () => {
    expect(buildCompareRequest(form({ seed: '-1' }))).toEqual({ ok: false, message: 'Seed must be a whole number from 0 to 4294967295.' });
    const point = { type: 'point' as const, model: 'm', precision: '', knob: '', window: '' };
    expect(buildCompareRequest(form({ modes: [{ type: 'lambda', lambda: 0 }, { ...point, model: '' }] }))).toEqual({ ok: false, message: 'Mode 2: pick a model.' });
    expect(buildCompareRequest(form({ modes: [{ type: 'lambda', lambda: 0 }, { ...point, knob: '2.5' }] }))).toMatchObject({ ok: false, message: /Mode 2: depth must be a whole number/ });
    expect(buildCompareRequest(form({ modes: [{ type: 'lambda', lambda: 0 }, { ...point, window: '0' }] }))).toMatchObject({ ok: false, message: /Mode 2: window must be a whole number/ });
    expect(buildCompareRequest(form({ maxNewTokens: '0' }))).toMatchObject({ ok: false, message: /Max new tokens/ });
  });

  it('keeps 2 to 4 modes', () => {
    expect([canAddMode(initialCompareForm()), canRemoveMode(initialCompareForm())]).toEqual([true, true]);
    const two = form({ modes: initialCompareForm().modes.slice(0, 2) });
    const four = form({ modes: [...initialCompareForm().modes, { type: 'lambda', lambda: 0.2 }] });
    expect([canRemoveMode(two), canAddMode(four)]).toEqual([false, false]);
  });
});
