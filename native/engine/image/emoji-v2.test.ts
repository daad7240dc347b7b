// The engine on a Pareto Emoji v2-shaped package (the image recipe's smoke config): a 4×16×16 v-prediction
// latent UNet, a VAE decoder to 64×64 RGB and a trailing DDIM scheduler, end to end to the PNG.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageGenerationRequestSchema, type ImageGenerationRequest } from '../../contract';
import { emojiV2Smoke, temporaryDir } from '../../testing/fixtures';
import { openSession } from '../onnx/open-session';
import { float32Tensor, int64Tensor } from '../onnx/runtime';
import { SessionPool } from '../onnx/session-pool';
import { decodePng } from '../png/png';
import { GraphSession } from './graph-session';
import { ImageGenerator, type ImageStepInfo } from './image-generator';
import { findUnetPoint, loadImageModelFolder, type ImageModelFolder } from './model-folder';
import { NoiseGenerator } from './noise';
import { createScheduler, type DdimScheduler } from './schedulers';

const RECIPE_SAMPLER = path.resolve(import.meta.dirname, '../../../models/recipes/image/image_tools.mjs');

let family = '';
let student: ImageModelFolder;
const pool = new SessionPool<GraphSession>(Infinity);

beforeAll(() => {
  family = emojiV2Smoke();
  student = loadImageModelFolder(path.join(family, 'pareto-emoji-student'));
}, 600_000);
afterAll(() => pool.closeAll());

const pngOf = (dataUrl: string) => decodePng(Buffer.from(dataUrl.split(',')[1]!, 'base64'));

async function generate(request: ImageGenerationRequest, onStep?: (info: ImageStepInfo) => void) {
  const generator = new ImageGenerator(student, pool);
  return generator.generate({ ...ImageGenerationRequestSchema.parse(request), model: student.dir }, { onStep });
}

describe('Pareto Emoji v2 package', () => {
  it('reads a latent package: 4 pixels per cell, the VAE scaling factor, a v-prediction trailing DDIM', () => {
    expect(student.vaeDecoderPath).not.toBeNull();
    expect(student.vaeScaleFactor).toBe(4);
    expect(student.vaeScalingFactor).toBeGreaterThan(1);
    expect(student.unetPoints.map((point) => [point.precision, point.steps])).toEqual([['fp32', 4], ['fp16', 4], ['int8', 4]]);
    const scheduler = createScheduler('ddim', student.schedulerConfig) as DdimScheduler;
    expect(scheduler.config).toMatchObject({ predictionType: 'v_prediction', timestepSpacing: 'trailing', betaSchedule: 'squaredcos_cap_v2' });
    scheduler.setTimesteps(4);
    // The student was distilled at exactly these timesteps.
    expect(scheduler.timesteps).toEqual([999, 749, 499, 249]);
  });

  it('makes a 64×64 PNG, with 64×64 previews decoded by the VAE', async () => {
    const steps: ImageStepInfo[] = [];
    const [image] = await generate({ prompt: 'red heart, noto style', seed: 1, previewEvery: 1 }, (info) => steps.push(info));
    expect(image).toMatchObject({ width: 64, height: 64, cfg: 'none', parameters: { steps: 4, guidance: 1, scheduler: 'ddim' } });
    const png = decodePng(Buffer.from(image!.png, 'base64'));
    expect([png.width, png.height]).toEqual([64, 64]);
    expect(new Set(png.data).size).toBeGreaterThan(1);
    expect(steps.map((info) => info.step)).toEqual([1, 2, 3, 4]);
    // Every step but the last may preview (at most ten a second); the first always does.
    const previews = steps.filter((info) => info.preview !== null);
    expect(previews[0]?.step).toBe(1);
    expect(previews.every((info) => info.step < 4 && pngOf(info.preview!).width === 64 && pngOf(info.preview!).height === 64)).toBe(true);
  });

  it('makes the image the recipe’s own sampler (image_tools.mjs: DDIM, v-prediction, trailing, final ᾱ = 1) makes from the same noise', async () => {
    const work = temporaryDir();
    const [image] = await generate({ prompt: 'red heart, noto style', seed: 3 });
    const noise = new NoiseGenerator(3).randn(4 * 16 * 16);
    fs.writeFileSync(path.join(work, 'noise.f32'), Buffer.from(noise.buffer));
    fs.writeFileSync(path.join(work, 'prompts.json'), JSON.stringify(['red heart, noto style']));
    execFileSync(process.execPath, [RECIPE_SAMPLER, 'generate', student.dir, '--steps', '4', '--guidance', '1', '--prompts', path.join(work, 'prompts.json'),
      '--noise', path.join(work, 'noise.f32'), '--out', path.join(work, 'recipe.f32'), '--batch', '1', '--threads', '1']);
    const bytes = fs.readFileSync(path.join(work, 'recipe.f32'));
    const recipe = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    const ours = decodePng(Buffer.from(image!.png, 'base64'));
    const plane = 64 * 64;
    let worst = 0;
    let differing = 0;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) {
        const expected = Math.round(Math.min(1, Math.max(0, recipe[c * plane + p]! / 2 + 0.5)) * 255);
        const difference = Math.abs(ours.data[p * 3 + c]! - expected);
        worst = Math.max(worst, difference);
        if (difference > 0) differing++;
      }
    }
    // Only values on a rounding boundary may differ (the smoke model's images vary little, so another seed moves ~30 % by 1-2 levels).
    expect(worst).toBeLessThanOrEqual(1);
    expect(differing / (3 * plane)).toBeLessThan(0.01);
  });

  it('makes a batch of 4 in batched UNet calls, each the image its seed makes alone, at every precision', async () => {
    for (const precision of ['fp32', 'int8']) {
      const images = await generate({ prompt: 'slice of pizza', seed: 11, batch: 4, precision });
      expect(images.map((image) => image.parameters.seed)).toEqual([11, 12, 13, 14]);
      const [alone] = await generate({ prompt: 'slice of pizza', seed: 13, precision });
      expect(images[2]!.png).toBe(alone!.png);
    }
  });

  it('dequantises the int8 UNet’s weights once when its session starts, computing the graph as written (float32 products of the int8 weights)', async () => {
    const int8 = findUnetPoint(student, 'int8').path;
    const folded = await GraphSession.open(int8, student.dir, 'cpu');
    const fp32 = await GraphSession.open(findUnetPoint(student, 'fp32').path, student.dir, 'cpu');
    // The graph as written, unoptimised: each DequantizeLinear, then float32 Conv / MatMul / Gemm.
    const asWritten = await openSession(int8, { ep: 'cpu', displayName: 'unet/model_int8.onnx', graphOptimizationLevel: 'disabled' });
    try {
      expect(folded.foldedWeightDequantize).toBe(true);
      expect(fp32.foldedWeightDequantize).toBe(false);
      const width = Number(folded.requireInput('encoder_hidden_states', 'a text-conditioned UNet').shape[2]);
      const noise = new NoiseGenerator(5);
      const input = {
        sample: float32Tensor(noise.randn(2 * 4 * 16 * 16), [2, 4, 16, 16]),
        timestep: int64Tensor(BigInt64Array.from([999n, 249n]), [2]),
        encoder_hidden_states: float32Tensor(noise.randn(2 * 16 * width), [2, 16, width]),
      };
      const ours = (await folded.run(input)).out_sample!.data as Float32Array;
      const theirs = (await asWritten.session.run(input)).out_sample!.data as Float32Array;
      const scale = Math.max(...theirs.map(Math.abs));
      const worst = Math.max(...ours.map((value, index) => Math.abs(value - theirs[index]!)));
      expect(scale).toBeGreaterThan(0);
      // The same float32 weights and products; only the order of their sums may differ.
      expect(worst).toBeLessThan(1e-5 * scale);
    } finally {
      await Promise.all([folded.release(), fp32.release(), asWritten.session.release()]);
    }
  });
});
