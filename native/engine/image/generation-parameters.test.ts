import { describe, expect, it } from 'vitest';
import type { ImageParameters } from '../../contract';
import { encodePng } from '../png/png';
import { asciiJson, formatA1111, parseA1111, pngTextFor, readGenerationParameters } from './generation-parameters';

const parameters: ImageParameters = {
  model: 'sd-fixture',
  prompt: 'a red circle, "bold"\nsecond line',
  negativePrompt: 'blurry',
  steps: 4,
  guidance: 7.5,
  seed: 1,
  scheduler: 'euler-a',
  precision: 'fp32',
  dynamicPrecision: null,
  width: 64,
  height: 64,
};
const pixels = { width: 1, height: 1, data: Uint8Array.of(255, 0, 0) };

describe('generation parameters in PNG', () => {
  it('writes the A1111 text other tools read', () => {
    expect(formatA1111(parameters, 'sd-fixture')).toBe(
      'a red circle, "bold"\nsecond line\nNegative prompt: blurry\nSteps: 4, Sampler: Euler a, CFG scale: 7.5, Seed: 1, Size: 64x64, Model: sd-fixture, Precision: fp32',
    );
  });

  it('restores the exact request from the PNG', () => {
    const bytes = encodePng(pixels, pngTextFor(parameters, 'sd-fixture'));
    expect(readGenerationParameters(bytes).parameters).toEqual(parameters);
  });

  it('keeps prompts that are not Latin-1 exact in both chunks', () => {
    const unicode = { ...parameters, prompt: 'un chat 🐱 sur un toit — 猫', negativePrompt: '' };
    const bytes = encodePng(pixels, pngTextFor(unicode, 'sd-fixture'));
    const read = readGenerationParameters(bytes);
    expect(read.parameters).toEqual(unicode);
    expect(read.a1111?.prompt).toBe(unicode.prompt);
    expect(asciiJson({ p: '🐱' })).toBe('{"p":"\\ud83d\\udc31"}');
  });

  it('parses A1111 text written by other tools', () => {
    const text = 'masterpiece, a cat\nNegative prompt: lowres, bad hands\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 3551, Size: 512x768, Model hash: 6ce0161689, Model: v1-5';
    expect(parseA1111(text)).toEqual({
      prompt: 'masterpiece, a cat',
      negativePrompt: 'lowres, bad hands',
      steps: 20,
      scheduler: 'dpm++2m',
      guidance: 7,
      seed: 3551,
      width: 512,
      height: 768,
      model: 'v1-5',
    });
    expect(parseA1111('just a prompt')).toEqual({ prompt: 'just a prompt' });
  });
});
