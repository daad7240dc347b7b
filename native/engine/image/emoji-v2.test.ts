// The engine on a Pareto Emoji v2-shaped package (the image recipe's smoke config): a 4×16×16 v-prediction
// latent UNet, a VAE decoder to 64×64 RGB and a trailing DDIM scheduler, end to end to the PNG.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageGenerationRequestSchema, type ImageGenerationRequest } from '../../contract';
import { emojiV2Smoke } from '../../testing/fixtures';
import { SessionPool } from '../onnx/session-pool';
import { decodePng } from '../png/png';
import type { GraphSession } from './graph-session';
import { ImageGenerator, type ImageStepInfo } from './image-generator';
import { loadImageModelFolder, type ImageModelFolder } from './model-folder';
import { createScheduler, type DdimScheduler } from './schedulers';

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
    const previews = steps.filter((info) => info.preview !== null);
    expect(previews.map((info) => info.step)).toEqual([1, 2, 3]);
    expect(previews.map((info) => [pngOf(info.preview!).width, pngOf(info.preview!).height])).toEqual([[64, 64], [64, 64], [64, 64]]);
  });

  it('makes a batch of 4 in batched UNet calls, each the image its seed makes alone, at every precision', async () => {
    for (const precision of ['fp32', 'int8']) {
      const images = await generate({ prompt: 'slice of pizza', seed: 11, batch: 4, precision });
      expect(images.map((image) => image.parameters.seed)).toEqual([11, 12, 13, 14]);
      const [alone] = await generate({ prompt: 'slice of pizza', seed: 13, precision });
      expect(images[2]!.png).toBe(alone!.png);
    }
  });
});
