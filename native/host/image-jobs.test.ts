import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, isImageJobEvent, type ImageGenerationRequest, type ImageJobEvent, type ImageResult, type StudioEvent } from '../contract';
import { decodePng, encodePng } from '../engine/png/png';
import { readGenerationParameters, restoreRequest } from '../engine/image/generation-parameters';
import { copyModel, sdFixture, temporaryDir } from '../testing/fixtures';
import { StudioHost } from './studio-host';

let host: StudioHost;
let model: string;

beforeAll(() => {
  model = sdFixture({ variants: true });
  host = new StudioHost({ dataDir: temporaryDir() });
});
afterAll(() => host.dispose());

/** Runs an image job to its end, collecting every event (those sent before the job id is known included). */
async function generate(request: ImageGenerationRequest, onEvent?: (event: ImageJobEvent, jobId: string) => void) {
  const events: ImageJobEvent[] = [];
  const early: StudioEvent[] = [];
  let jobId = '';
  let settle: { resolve: (result: ImageResult) => void; reject: (error: Error) => void } | null = null;
  const finished = new Promise<ImageResult>((resolve, reject) => (settle = { resolve, reject }));
  const handle = (event: StudioEvent) => {
    if (!isImageJobEvent(event) || event.jobId !== jobId) return;
    events.push(event);
    onEvent?.(event, jobId);
    if (event.type === 'image-done') settle!.resolve(event.images[0]!);
    if (event.type === 'error') settle!.reject(new Error(event.message));
  };
  const off = host.onEvent((event) => (jobId ? handle(event) : early.push(event)));
  try {
    ({ jobId } = await host.invoke('startImageJob', request));
    early.splice(0).forEach(handle);
    return { result: await finished, events };
  } finally {
    off();
  }
}

/** A PNG without any text chunk. */
const textlessPng = () => encodePng({ width: 1, height: 1, data: Uint8Array.of(0, 0, 0) });
const pixels = (result: ImageResult) => decodePng(Buffer.from(result.png, 'base64')).data;

describe('image jobs on the SD fixture', () => {
  it('runs end to end with progress, previews and the parameters in the PNG', async () => {
    const request = { model, prompt: 'a red circle', negativePrompt: 'blurry', steps: 4, seed: 1, previewEvery: 2 };
    const { result, events } = await generate(request);
    // Live energy readings come on the meter's timer, so how many fall between the steps varies.
    expect(events.map((event) => event.type).filter((type) => type !== 'energy')).toEqual(['queued', 'image-started', 'image-progress', 'image-progress', 'image-progress', 'image-progress', 'image-done']);
    const progress = events.filter((event) => event.type === 'image-progress');
    expect(progress.map((event) => [event.step, event.steps])).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
    expect(progress[1]!.preview).toMatch(/^data:image\/png;base64,/);
    expect(progress[0]!.preview).toBeNull();
    // Small latents (8×8 cells here) are previewed through the VAE decoder: the preview is the image's size, not the latent grid's.
    const preview = decodePng(Buffer.from(progress[1]!.preview!.split(',')[1]!, 'base64'));
    expect([preview.width, preview.height]).toEqual([64, 64]);
    expect([result.width, result.height, result.cfg]).toEqual([64, 64, 'batched']);
    expect(result.metrics).toMatchObject({ steps: 4, energyJ: expect.any(Number), energySource: expect.any(String), precisionSteps: { fp32: 4 } });
    expect(result.metrics.msPerStep).toBeGreaterThan(0);
    const png = Buffer.from(result.png, 'base64');
    expect(readGenerationParameters(png).parameters).toEqual({
      model, prompt: 'a red circle', negativePrompt: 'blurry', steps: 4, guidance: 7.5, seed: 1,
      scheduler: 'ddim', precision: 'fp32', dynamicPrecision: null, width: 64, height: 64,
    });
    expect(result.parametersText).toBe(`a red circle\nNegative prompt: blurry\nSteps: 4, Sampler: DDIM, CFG scale: 7.5, Seed: 1, Size: 64x64, Model: ${path.basename(model)}, Precision: fp32`);
    const image = decodePng(png);
    expect(new Set(image.data).size).toBeGreaterThan(10); // not a flat image
  });

  it('gives the same bytes for the same seed and another image for another seed', async () => {
    const [a, b, c] = [await generate({ model, prompt: 'a cat', steps: 3, seed: 9 }), await generate({ model, prompt: 'a cat', steps: 3, seed: 9 }), await generate({ model, prompt: 'a cat', steps: 3, seed: 10 })];
    expect(a.result.png).toBe(b.result.png);
    expect(c.result.png).not.toBe(a.result.png);
  });

  it('makes the same PNG again from the request restored from a PNG', async () => {
    const first = await generate({ model, prompt: 'a yellow sun', negativePrompt: 'black', steps: 3, seed: 11, scheduler: 'dpm++2m', guidance: 4 });
    const again = await generate(restoreRequest(Buffer.from(first.result.png, 'base64')));
    expect(again.result.png).toBe(first.result.png);
    const dynamic = await generate({ model, prompt: 'a yellow sun', steps: 3, seed: 11, dynamicPrecision: { cheap: 'int8', full: 'fp32', cheapSteps: 1 } });
    expect((await generate(restoreRequest(Buffer.from(dynamic.result.png, 'base64')))).result.png).toBe(dynamic.result.png);
    expect(() => restoreRequest(textlessPng())).toThrow(/carries no Pareto Studio parameters/);
  });

  it('gives the same image with guidance batched and in two passes', async () => {
    const request = { model, prompt: 'a blue square', negativePrompt: 'ugly', steps: 4, seed: 3, guidance: 5 };
    const batched = await generate({ ...request, cfgMode: 'batched' });
    const twoPass = await generate({ ...request, cfgMode: 'two-pass' });
    expect([batched.result.cfg, twoPass.result.cfg]).toEqual(['batched', 'two-pass']);
    const [x, y] = [pixels(batched.result), pixels(twoPass.result)];
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('runs every scheduler', async () => {
    for (const scheduler of ['ddim', 'euler-a', 'dpm++2m', 'lcm'] as const) {
      const { result } = await generate({ model, prompt: 'a star', steps: 3, seed: 2, scheduler });
      expect(result.parameters.scheduler).toBe(scheduler);
      expect(result.metrics.steps).toBe(3);
    }
    // Guidance at 1 or below skips the unconditional pass.
    expect((await generate({ model, prompt: 'a star', steps: 2, seed: 2, guidance: 1, scheduler: 'lcm' })).result.cfg).toBe('none');
  });

  it('runs the cheap UNet for the early steps and the full one for the rest', async () => {
    const { result, events } = await generate({ model, prompt: 'a heart', steps: 5, seed: 4, dynamicPrecision: { cheap: 'int8', full: 'fp32', cheapSteps: 3 } });
    expect(result.metrics.precisionSteps).toEqual({ int8: 3, fp32: 2 });
    expect(events.filter((event) => event.type === 'image-progress').map((event) => event.precision)).toEqual(['int8', 'int8', 'int8', 'fp32', 'fp32']);
    expect(result.parameters.dynamicPrecision).toEqual({ cheap: 'int8', full: 'fp32', cheapSteps: 3 });
    const fraction = await generate({ model, prompt: 'a heart', steps: 4, seed: 4, dynamicPrecision: { cheap: 'fp16', full: 'fp32', cheapFraction: 0.5 } });
    expect(fraction.result.metrics.precisionSteps).toEqual({ fp16: 2, fp32: 2 });
    const int8 = await generate({ model, prompt: 'a heart', steps: 2, seed: 4, precision: 'int8' });
    expect(int8.result.metrics.precisionSteps).toEqual({ int8: 2 });
  });

  it('feeds a float16 UNet (fp16 I/O) and stays close to fp32', async () => {
    const request = { model, prompt: 'a green triangle', steps: 3, seed: 6 };
    const fp32 = pixels((await generate(request)).result);
    const fp16 = pixels((await generate({ ...request, precision: 'fp16' })).result);
    let total = 0;
    for (let i = 0; i < fp32.length; i++) total += Math.abs(fp32[i]! - fp16[i]!);
    expect(total / fp32.length).toBeLessThan(4); // mean absolute difference in 0..255 levels
  });

  it('honours width and height where the UNet allows', async () => {
    const { result } = await generate({ model, prompt: 'a tree', steps: 2, seed: 1, width: 128, height: 64 });
    expect([result.width, result.height]).toEqual([128, 64]);
    await expect(host.invoke('startImageJob', { model, prompt: 'x', width: 100 })).rejects.toThrow(/width must be a multiple of 8/);
  });

  it('stops within one step of a cancel', async () => {
    const steps: number[] = [];
    await expect(
      generate({ model, prompt: 'a dog', steps: 20, seed: 5 }, (event, jobId) => {
        if (event.type !== 'image-progress') return;
        steps.push(event.step);
        if (event.step === 2) void host.invoke('cancelJob', { jobId });
      }),
    ).rejects.toThrow(/Cancelled after [23] of 20 steps/);
    expect(steps.length).toBeLessThanOrEqual(3);
  });

  it('detects an int64 timestep and a UNet fixed to batch 1 (guidance in two passes)', async () => {
    const int64 = sdFixture({ timestepInt64: true });
    expect((await generate({ model: int64, prompt: 'a sun', steps: 2, seed: 1 })).result.cfg).toBe('batched');
    const fixed = sdFixture({ fixedBatch: true });
    expect((await generate({ model: fixed, prompt: 'a sun', steps: 2, seed: 1 })).result.cfg).toBe('two-pass');
    await expect(host.invoke('startImageJob', { model: fixed, prompt: 'a sun', cfgMode: 'batched' })).rejects.toThrow(/batch 1 only/);
  });

  it('runs a pixel-space model without a VAE', async () => {
    const pixel = sdFixture({ noVae: true });
    const { result } = await generate({ model: pixel, prompt: 'a car', steps: 2, seed: 1 });
    expect([result.width, result.height]).toEqual([32, 32]);
  });

  it('says what size a package makes before opening it: sample_size, times the VAE decoder’s pixels per latent cell', async () => {
    const pixel = await host.invoke('importModel', { path: sdFixture({ noVae: true }) });
    expect(pixel.image).toMatchObject({ width: 32, height: 32 });
    const student = await host.invoke('importModel', { path: path.resolve(__dirname, '../../models/pareto-emoji-student') });
    expect(student.image).toMatchObject({ width: 64, height: 64 });
  });

  it('lists image folders it is given', async () => {
    const imported = await host.invoke('importModel', { path: model });
    expect(imported).toMatchObject({ kind: 'image', variants: ['fp32', 'fp16', 'int8'], architecture: 'OnnxStableDiffusionPipeline', contextLength: 77 });
    const byId = await generate({ model: imported.id, prompt: 'a face', steps: 1, seed: 1 });
    expect(byId.result.metrics.steps).toBe(1);
    await expect(host.invoke('startTextJob', { model: imported.id, prompt: 'hi' })).rejects.toThrow(/is an image model/);
  });
});

describe('bad image folders', () => {
  const expectInvalid = async (folder: string, pattern: RegExp) => {
    const error = await host.invoke('startImageJob', { model: folder, prompt: 'x', steps: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toMatch(pattern);
  };

  it('names what is missing or broken', async () => {
    const noUnet = copyModel(sdFixture());
    fs.rmSync(path.join(noUnet, 'unet'), { recursive: true });
    await expectInvalid(noUnet, /unet\/model\.onnx is missing from .*the denoiser is required/);

    const truncated = copyModel(sdFixture());
    fs.truncateSync(path.join(truncated, 'unet', 'model.onnx'), 20_000);
    await expectInvalid(truncated, /Model file unet\/model\.onnx could not be loaded: it is truncated/);

    const noTokenizer = copyModel(sdFixture());
    fs.rmSync(path.join(noTokenizer, 'tokenizer', 'tokenizer.json'));
    await expectInvalid(noTokenizer, /tokenizer\/tokenizer\.json is missing from .*cannot be tokenized/);

    fs.writeFileSync(path.join(noTokenizer, 'tokenizer', 'vocab.json'), '{}');
    fs.writeFileSync(path.join(noTokenizer, 'tokenizer', 'merges.txt'), '');
    await expectInvalid(noTokenizer, /has only the slow tokenizer's vocab\.json and merges\.txt/);

    const noIndex = copyModel(sdFixture());
    fs.rmSync(path.join(noIndex, 'model_index.json'));
    await expectInvalid(noIndex, /model_index\.json is missing .*diffusers ONNX layout/);

    const noScheduler = copyModel(sdFixture());
    fs.rmSync(path.join(noScheduler, 'scheduler'), { recursive: true });
    await expectInvalid(noScheduler, /scheduler\/scheduler_config\.json is missing/);

    const swapped = copyModel(sdFixture());
    fs.copyFileSync(path.join(swapped, 'vae_decoder', 'model.onnx'), path.join(swapped, 'unet', 'model.onnx'));
    await expectInvalid(swapped, /unet\/model\.onnx is not a diffusion UNet: it has no 'sample' input \(its inputs are latent_sample\)/);

    await expectInvalid('/no/such/model', /Model folder not found: \/no\/such\/model/);
  });

  it('rejects requests the model cannot serve', async () => {
    const model = sdFixture({ variants: true });
    await expect(host.invoke('startImageJob', { model, prompt: 'x', precision: 'q4' })).rejects.toThrow(/has no q4 UNet; it offers fp32, fp16, int8/);
    await expect(host.invoke('startImageJob', { model, prompt: 'x', scheduler: 'lcm', steps: 60 })).rejects.toThrow(/more than the 50/);
    await expect(host.invoke('startImageJob', { model, prompt: 'x', steps: 0 })).rejects.toThrow(/steps/);
  });
});

describe('image packages with pareto.json', () => {
  it('takes operating points (precision, steps, quality) from the manifest', async () => {
    const folder = copyModel(sdFixture({ variants: true }));
    const manifest = {
      schemaVersion: 1,
      kind: 'image',
      family: 'emoji-test',
      name: 'emoji-student',
      role: 'student',
      operatingPoints: [
        { precision: 'fp32', steps: 4, file: 'unet/model.onnx', quality: { frechetDistance: 12.5, faithfulness: 0.9 } },
        { precision: 'int8', steps: 2, file: 'unet/model_int8.onnx', quality: { frechetDistance: 15, faithfulness: 0.8 } },
      ],
    };
    fs.writeFileSync(path.join(folder, 'pareto.json'), JSON.stringify(manifest));
    const info = await host.invoke('importModel', { path: folder });
    expect(info).toMatchObject({ id: 'emoji-student', kind: 'image', family: 'emoji-test', role: 'student', variants: ['fp32', 'int8'] });
    expect((await generate({ model: 'emoji-student', prompt: 'a happy face', seed: 1 })).result.metrics.steps).toBe(4);
    expect((await generate({ model: 'emoji-student', prompt: 'a happy face', seed: 1, precision: 'int8' })).result.metrics).toMatchObject({ steps: 2, precisionSteps: { int8: 2 } });

    fs.writeFileSync(path.join(folder, 'pareto.json'), JSON.stringify({ ...manifest, kind: 'text' }));
    await expect(host.invoke('startImageJob', { model: folder, prompt: 'x' })).rejects.toThrow(/says kind "text"/);
  });
});
