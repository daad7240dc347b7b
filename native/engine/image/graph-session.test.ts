import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledModels } from '../../testing/fixtures';
import { loadedWeightBytes } from './graph-session';

// The bundled student ships one UNet in each storage: fp32, fp16 weights (cast at load), weight-only int8 (folded at load).
const unet = (file: string) => path.join(bundledModels(), 'pareto-emoji-student', 'unet', file);
const onDisk = (file: string) => fs.statSync(unet(file)).size;

describe('what an image session holds once open (the session pool budget)', () => {
  it('is the file for fp32 weights', () => {
    expect(loadedWeightBytes(unet('model.onnx'))).toBe(onDisk('model.onnx'));
  });

  it('is twice the file for fp16 weights, which onnxruntime folds to float32', () => {
    expect(loadedWeightBytes(unet('model_fp16.onnx'))).toBe(2 * onDisk('model_fp16.onnx'));
  });

  it('counts the float32 copy of weight-only int8 weights dequantised at load: about the fp32 file more', () => {
    const int8 = loadedWeightBytes(unet('model_int8.onnx'));
    expect(int8).toBeGreaterThan(onDisk('model_int8.onnx') + 0.9 * onDisk('model.onnx'));
    expect(int8).toBeLessThan(onDisk('model_int8.onnx') + onDisk('model.onnx'));
  });
});
