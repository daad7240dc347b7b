import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../../native/contract';
import { AUTO_MODEL, choiceValue, lambdaFamily, lambdaOffReason, offeredKnobs, requestTarget, resolveModelChoice } from './modelChoice';

const TEXT_WORDS = { knobs: 'model, precision and depth', none: 'Add a model folder to generate.' };

const model = (id: string, patch: Partial<ModelInfo> = {}): ModelInfo => ({
  id,
  name: id,
  kind: 'text',
  path: `/models/${id}`,
  source: 'imported',
  architecture: 'LlamaForCausalLM',
  contextLength: 512,
  variants: ['fp32'],
  family: null,
  role: null,
  depths: [2],
  sizeBytes: 1000,
  ...patch,
});

const teacher = model('teacher', { source: 'bundled', family: 'tinystories', role: 'teacher', variants: ['fp32', 'fp16'], depths: [8] });
const student = model('student-s', { source: 'bundled', family: 'tinystories', role: 'student', variants: ['fp32', 'int8', 'q4'], depths: [3, 6] });
const thirdParty = model('tinystories-656k-onnx');

describe('resolveModelChoice', () => {
  it('defaults to Auto when a bundled family exists', () => {
    const choice = resolveModelChoice([thirdParty, teacher, student], null, null);
    expect(choice).toMatchObject({ kind: 'auto', family: 'tinystories' });
    expect(choiceValue(choice)).toBe(AUTO_MODEL);
    expect(choice.kind === 'auto' && choice.members.map((m) => m.id)).toEqual(['teacher', 'student-s']);
  });

  it('defaults to the first model when no model has a family', () => {
    const other = model('other');
    const choice = resolveModelChoice([thirdParty, other], null, null);
    expect(choiceValue(choice)).toBe('tinystories-656k-onnx');
    expect(lambdaOffReason(choice, null, TEXT_WORDS)).toMatch(/No installed model has a measured family/);
  });

  it('prefers the picked model, then the default from Settings, and ignores ones no longer listed', () => {
    const models = [teacher, student, thirdParty];
    expect(choiceValue(resolveModelChoice(models, 'tinystories-656k-onnx', 'student-s'))).toBe('tinystories-656k-onnx');
    expect(choiceValue(resolveModelChoice(models, 'gone', 'student-s'))).toBe('student-s');
    expect(choiceValue(resolveModelChoice(models, AUTO_MODEL, 'student-s'))).toBe(AUTO_MODEL);
    expect(choiceValue(resolveModelChoice([thirdParty], AUTO_MODEL, null))).toBe('tinystories-656k-onnx');
    expect(resolveModelChoice([], null, null)).toEqual({ kind: 'none' });
  });
});

describe('requestTarget', () => {
  const models = [teacher, student, thirdParty];
  it('names no model in Auto, and a model picked by hand alone — λ is off for it, family model or not', () => {
    expect(requestTarget(resolveModelChoice(models, AUTO_MODEL, null), 0.4)).toEqual({ lambda: 0.4 });
    expect(requestTarget(resolveModelChoice(models, 'student-s', null), 0.4)).toEqual({ model: 'student-s' });
    expect(requestTarget(resolveModelChoice(models, 'teacher', null), 0.4)).toEqual({ model: 'teacher' });
    expect(requestTarget(resolveModelChoice(models, 'tinystories-656k-onnx', null), 0.4)).toEqual({ model: 'tinystories-656k-onnx' });
    expect(requestTarget({ kind: 'none' }, 0.4)).toBeNull();
  });

  it('says λ is off for any model picked by hand, and how to turn it back on', () => {
    for (const id of ['tinystories-656k-onnx', 'teacher']) {
      const choice = resolveModelChoice(models, id, null);
      expect(lambdaOffReason(choice, 'tinystories', TEXT_WORDS)).toBe(`${id} runs as you set it, with its own knobs. Pick Auto (λ) to let the slider choose model, precision and depth in the tinystories family.`);
      expect(lambdaFamily(choice)).toBeNull();
    }
    expect(lambdaOffReason(resolveModelChoice(models, AUTO_MODEL, null), 'tinystories', TEXT_WORDS)).toBeNull();
    expect(lambdaOffReason({ kind: 'none' }, null, TEXT_WORDS)).toBe('Add a model folder to generate.');
  });
});

describe('offeredKnobs', () => {
  it('offers what any family member can run, in quality order', () => {
    expect(offeredKnobs(resolveModelChoice([teacher, student], AUTO_MODEL, null))).toEqual({ variants: ['fp32', 'fp16', 'int8', 'q4'], depths: [3, 6, 8] });
  });

  it('offers only the model’s own knobs for a model picked by hand', () => {
    expect(offeredKnobs(resolveModelChoice([teacher, thirdParty], 'tinystories-656k-onnx', null))).toEqual({ variants: ['fp32'], depths: [2] });
    expect(offeredKnobs(resolveModelChoice([teacher, student], 'teacher', null))).toEqual({ variants: ['fp32', 'fp16'], depths: [8] });
    expect(offeredKnobs({ kind: 'none' })).toEqual({ variants: [], depths: [] });
  });
});
