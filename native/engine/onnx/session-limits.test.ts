import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { temporaryDir, tinyStoriesOnnx } from '../../testing/fixtures';
import { DataType, encodeModel, node, tensorValueInfo, type TensorProto } from './onnx-model';
import { openSession } from './open-session';
import { ELECTRON_SESSION_LIMITS, largestExternalInitializer, sessionLimits, setSessionLimits } from './session-limits';

const defaults = sessionLimits();
afterEach(() => setSessionLimits(defaults));

/** A graph file whose weights live in model.onnx_data, declaring tensors of the given byte lengths. */
function externalModel(lengths: number[]): string {
  const dir = temporaryDir();
  const initializer: TensorProto[] = lengths.map((length, i) => ({
    name: `weight.${i}`,
    dims: [length],
    data_type: DataType.UINT8,
    data_location: 1,
    external_data: [
      { key: 'location', value: 'model.onnx_data' },
      { key: 'length', value: String(length) },
    ],
  }));
  const file = path.join(dir, 'model.onnx');
  const graph = { name: 'g', node: [node('Identity', ['x'], ['y'])], initializer, input: [tensorValueInfo('x', DataType.FLOAT, [1])], output: [tensorValueInfo('y', DataType.FLOAT, [1])] };
  fs.writeFileSync(file, encodeModel({ ir_version: 8, opset_import: [{ domain: '', version: 17 }], graph }));
  fs.writeFileSync(path.join(dir, 'model.onnx_data'), Buffer.alloc(16));
  return file;
}

describe('session limits under Electron', () => {
  it('finds the largest initializer in external data, and skips self-contained files', () => {
    expect(largestExternalInitializer(externalModel([10, 3 * 2 ** 30, 7]), true)).toEqual({ name: 'weight.1', bytes: 3 * 2 ** 30 });
    expect(largestExternalInitializer(externalModel([10]), false)).toBeNull();
  });

  it('refuses a 2 GiB tensor before onnxruntime sees it, naming the file and the tensor', async () => {
    setSessionLimits(ELECTRON_SESSION_LIMITS);
    await expect(openSession(externalModel([12, 2 ** 31]), { ep: 'cpu', displayName: 'onnx/model.onnx' })).rejects.toThrow(
      'Model file onnx/model.onnx holds a 2.00 GiB tensor (weight.1); the desktop app cannot load a single tensor of 2.00 GiB or more.',
    );
  });

  it('still opens ordinary models with the arena off', async () => {
    setSessionLimits(ELECTRON_SESSION_LIMITS);
    const opened = await openSession(path.join(tinyStoriesOnnx(), 'onnx', 'model.onnx'), { ep: 'cpu', displayName: 'onnx/model.onnx' });
    expect(opened.ep).toBe('cpu');
    await opened.session.release();
  });
});
