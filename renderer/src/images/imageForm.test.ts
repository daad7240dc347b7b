import { describe, expect, it } from 'vitest';
import type { ImageParameters, ModelInfo } from '../../../native/contract';
import { lambdaOffReason, resolveModelChoice, type ModelChoice } from '../generate/modelChoice';
import { buildImageRequest, defaultSteps, enlargeClass, fitImageForm, formFromParameters, imageTarget, initialImageForm, isPixelArt, parameterRows, pngBytes, pngFileName, sizeOptions, type ImageForm } from './imageForm';

const model: ModelInfo = {
  id: 'sd-tiny',
  name: 'sd-tiny',
  kind: 'image',
  path: '/models/sd-tiny',
  source: 'path',
  architecture: 'OnnxStableDiffusionPipeline',
  contextLength: 77,
  variants: ['fp32', 'fp16', 'int8'],
  family: null,
  role: null,
  depths: [],
  sizeBytes: 500_000,
  image: { width: 64, height: 64, sizeStep: 8, scheduler: 'ddim', steps: null },
};

const form = (patch: Partial<ImageForm> = {}): ImageForm => ({ ...initialImageForm('cpu'), prompt: 'a red circle', ...patch });
const asSet = { model };

/** A bundled image family of two packages, as the host lists it. */
const family: ModelInfo[] = [
  { ...model, id: 'emoji-teacher', name: 'emoji-teacher', source: 'bundled', family: 'emoji', role: 'teacher', image: { width: 32, height: 32, sizeStep: 1, scheduler: 'ddim', steps: 50 } },
  { ...model, id: 'emoji-student', name: 'emoji-student', source: 'bundled', family: 'emoji', role: 'student', image: { width: 32, height: 32, sizeStep: 1, scheduler: 'ddim', steps: 4 } },
];
const auto: ModelChoice = resolveModelChoice([...family, model], null, null);

describe('buildImageRequest', () => {
  it('sends only what the user set, so the model decides the rest (guidance included)', () => {
    expect(buildImageRequest(asSet, form())).toEqual({ ok: true, request: { model: 'sd-tiny', prompt: 'a red circle', ep: 'cpu' } });
  });

  it('under λ sends λ and no model, steps, precision or size: the host picks them', () => {
    expect(auto.kind).toBe('auto');
    expect(buildImageRequest(imageTarget(auto, 0.5), form())).toEqual({ ok: true, request: { lambda: 0.5, prompt: 'a red circle', ep: 'cpu' } });
    const knobs = form({ steps: '6', precision: 'int8', size: '64x64', seed: '3', guidance: '2', scheduler: 'lcm', negativePrompt: 'blurry' });
    expect(buildImageRequest(imageTarget(auto, 0), knobs)).toEqual({ ok: true, request: { lambda: 0, prompt: 'a red circle', negativePrompt: 'blurry', guidance: 2, seed: 3, scheduler: 'lcm', ep: 'cpu' } });
  });

  it('sends every knob that is set', () => {
    const built = buildImageRequest(asSet, form({ negativePrompt: 'blurry', steps: '6', guidance: '5', seed: '1', scheduler: 'euler-a', precision: 'int8', size: '96x64', ep: 'cuda' }));
    expect(built).toEqual({
      ok: true,
      request: { model: 'sd-tiny', prompt: 'a red circle', negativePrompt: 'blurry', steps: 6, guidance: 5, seed: 1, scheduler: 'euler-a', precision: 'int8', width: 96, height: 64, ep: 'cuda' },
    });
  });

  it('answers bad input with one sentence naming the field', () => {
    expect(buildImageRequest(null, form())).toEqual({ ok: false, message: 'Choose an image model first, or add a diffusers ONNX folder.' });
    expect(buildImageRequest(asSet, form({ steps: '2.5' }))).toEqual({ ok: false, message: 'Steps must be a whole number.' });
    expect(buildImageRequest(asSet, form({ guidance: 'lots' }))).toEqual({ ok: false, message: 'Guidance must be a number.' });
    expect(buildImageRequest(asSet, form({ steps: '0' }))).toMatchObject({ ok: false, message: expect.stringMatching(/^Steps: /) });
    expect(buildImageRequest(asSet, form({ seed: '-1' }))).toMatchObject({ ok: false, message: expect.stringMatching(/^Seed: /) });
    expect(buildImageRequest(asSet, form({ guidance: '80' }))).toMatchObject({ ok: false, message: expect.stringMatching(/^Guidance: /) });
    expect(buildImageRequest(asSet, form({ size: '100x64' }))).toEqual({ ok: false, message: 'sd-tiny makes sizes in multiples of 8 pixels; 100 × 64 is not.' });
  });
});

describe('the form and the model', () => {
  it('offers sizes around the default in the model’s size step', () => {
    expect(sizeOptions(model.image).map((option) => option.value)).toEqual(['32x32', '96x64', '64x96', '128x128']);
    expect(sizeOptions(null)).toEqual([]);
    expect(sizeOptions({ width: 32, height: 32, sizeStep: 1, scheduler: 'ddim', steps: null }).map((option) => option.value)).toEqual(['16x16', '48x32', '32x48', '64x64']);
  });

  it('gives the steps the engine would pick when the field is blank', () => {
    expect(defaultSteps(model.image, '')).toBe(25);
    expect(defaultSteps(model.image, 'lcm')).toBe(4);
    expect(defaultSteps({ ...model.image!, scheduler: 'lcm' }, '')).toBe(4);
    expect(defaultSteps({ ...model.image!, steps: 8 }, 'lcm')).toBe(8);
  });

  it('drops a precision the chosen model does not have', () => {
    const chosen = resolveModelChoice([model], 'sd-tiny', null);
    const set = form({ precision: 'int8' });
    expect(fitImageForm(set, chosen)).toBe(set);
    expect(fitImageForm(form({ precision: 'q4' }), chosen).precision).toBe('');
  });

  it('leaves steps, precision and size to λ under Auto', () => {
    const set = form({ steps: '6', precision: 'int8', size: '64x64', seed: '1' });
    expect(fitImageForm(set, auto)).toEqual({ ...set, steps: '', precision: '', size: '' });
    const blank = form();
    expect(fitImageForm(blank, auto)).toBe(blank);
  });

  it('restores an image’s parameters into the form, seed included, and they build the same request', () => {
    const parameters: ImageParameters = { model: 'sd-tiny', prompt: 'a cat', negativePrompt: 'ugly', steps: 6, guidance: 4, seed: 42, scheduler: 'dpm++2m', precision: 'fp16', dynamicPrecision: null, width: 64, height: 64 };
    // One image again, even from a form set to make a batch.
    const restored = formFromParameters(parameters, form({ ep: 'cuda', batch: 4 }), model.image);
    expect(restored).toEqual({ prompt: 'a cat', negativePrompt: 'ugly', steps: '6', guidance: '4', seed: '42', batch: 1, scheduler: 'dpm++2m', precision: 'fp16', size: '', ep: 'cuda' });
    expect(buildImageRequest(asSet, restored)).toEqual({
      ok: true,
      request: { model: 'sd-tiny', prompt: 'a cat', negativePrompt: 'ugly', steps: 6, guidance: 4, seed: 42, scheduler: 'dpm++2m', precision: 'fp16', ep: 'cuda' },
    });
    expect(formFromParameters({ ...parameters, width: 128, height: 64, dynamicPrecision: { cheap: 'int8', full: 'fp32', cheapSteps: 3 } }, form(), model.image)).toMatchObject({ size: '128x64', precision: 'fp32' });
  });

  it('asks for a batch only when the form makes more than one image', () => {
    expect(buildImageRequest(asSet, form({ prompt: 'a cat', batch: 3 }))).toMatchObject({ ok: true, request: { batch: 3 } });
    const single = buildImageRequest(asSet, form({ prompt: 'a cat' }));
    expect(single.ok && 'batch' in single.request).toBe(false);
  });

  it('restores what an A1111 text names and leaves the rest to the model', () => {
    const typed = form({ steps: '9', precision: 'int8', negativePrompt: 'old', ep: 'cuda' });
    expect(formFromParameters({ prompt: 'a castle', steps: 20, seed: 42, width: 128, height: 64 }, typed, model.image)).toEqual({
      prompt: 'a castle', negativePrompt: '', steps: '20', guidance: '', seed: '42', batch: 1, scheduler: '', precision: '', size: '128x64', ep: 'cuda',
    });
  });
});

describe('showing and saving a result', () => {
  const parameters: ImageParameters = { model: 'sd-tiny', prompt: 'A Red Circle, on a blue square!', negativePrompt: '', steps: 6, guidance: 7.5, seed: 1, scheduler: 'ddim', precision: 'fp32', dynamicPrecision: null, width: 64, height: 64 };

  it('lists the parameters', () => {
    expect(parameterRows({ ...parameters, model: '/models/pareto-emoji-teacher' })[0]).toEqual({ label: 'Model', value: 'pareto-emoji-teacher', testId: 'param-model' });
    expect(parameterRows(parameters).map((row) => `${row.label}: ${row.value}`)).toEqual(['Model: sd-tiny', 'Seed: 1', 'Steps: 6', 'Guidance: 7.5', 'Scheduler: DDIM', 'Precision: fp32', 'Size: 64 × 64']);
    expect(parameterRows({ ...parameters, dynamicPrecision: { cheap: 'int8', full: 'fp32', cheapSteps: 2 } }).find((row) => row.label === 'Precision')?.value).toBe('int8 for 2 steps, then fp32');
  });

  it('names the file after the prompt and seed', () => {
    expect(pngFileName(parameters)).toBe('a-red-circle-on-a-blue-1.png');
    expect(pngFileName({ ...parameters, prompt: '' })).toBe('image-1.png');
  });

  it('draws small images with hard pixels', () => {
    expect(isPixelArt(32, 32)).toBe(true);
    expect(isPixelArt(64, 64)).toBe(true);
    expect(isPixelArt(512, 512)).toBe(false);
    expect([enlargeClass('crisp', 64, 64), enlargeClass('smooth', 64, 64), enlargeClass('crisp', 512, 512)]).toEqual([' pixelated', '', '']);
  });

  it('decodes the PNG bytes exactly', () => {
    expect([...pngBytes('iVBORw0KGgo=')]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});

describe('λ and the image model choice', () => {
  const IMAGE_WORDS = { knobs: 'model, precision and steps', none: 'Add a diffusers ONNX folder to make images.' };
  it('chooses under Auto when a bundled image family exists, and runs a model picked by hand as set', () => {
    expect(auto).toMatchObject({ kind: 'auto', family: 'emoji' });
    expect(imageTarget(auto, 0.25)).toEqual({ lambda: 0.25 });
    expect(lambdaOffReason(auto, 'emoji', IMAGE_WORDS)).toBeNull();

    const teacher = resolveModelChoice([...family, model], 'emoji-teacher', null);
    expect(imageTarget(teacher, 0.25)).toEqual({ model: family[0] });
    expect(lambdaOffReason(teacher, 'emoji', IMAGE_WORDS)).toBe('emoji-teacher runs as you set it, with its own knobs. Pick Auto (λ) to let the slider choose model, precision and steps in the emoji family.');
  });

  it('says why λ cannot choose without a bundled family or any model', () => {
    const only = resolveModelChoice([model], null, null);
    expect(only).toMatchObject({ kind: 'model', model: { id: 'sd-tiny' } });
    expect(lambdaOffReason(only, null, IMAGE_WORDS)).toMatch(/No installed model has a measured family/);
    const none = resolveModelChoice([], null, null);
    expect(imageTarget(none, 0.5)).toBeNull();
    expect(lambdaOffReason(none, null, IMAGE_WORDS)).toMatch(/^Add a diffusers ONNX folder/);
  });
});
