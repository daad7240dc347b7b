import fs from 'node:fs';
import { readModel } from '../../engine/onnx/onnx-model';

/**
 * The bytes an operating point runs: its graph file plus the external weights it references. A depth
 * exit shares the full model's `*.onnx_data` but reads only its own layers' spans of it, so the size of
 * the data file would overstate it and the graph file alone would miss every weight.
 */
export function modelBytes(file: string): number {
  const external = readModel(file).graph.initializer.reduce((sum, tensor) => {
    const length = tensor.external_data?.find((entry) => entry.key === 'length')?.value;
    return sum + (length === undefined ? 0 : Number(length));
  }, 0);
  return fs.statSync(file).size + external;
}
