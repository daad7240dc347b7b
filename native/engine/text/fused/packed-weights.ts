import { DataType, inlineExternalData, type TensorProto } from '../../onnx/onnx-model';
import type { GraphIndex } from './graph-index';
import type { Projection } from './decoder-anatomy';

const BYTES: Partial<Record<number, number>> = { [DataType.FLOAT]: 4, [DataType.FLOAT16]: 2 };

function bytesOf(tensor: TensorProto, modelDir: string): Uint8Array | null {
  const inline = inlineExternalData(tensor, modelDir);
  if (inline.raw_data) return inline.raw_data;
  if (inline.data_type === DataType.FLOAT && inline.float_data?.length) return new Uint8Array(Float32Array.from(inline.float_data).buffer);
  return null;
}

/** [rows, a] ‖ [rows, b] ‖ … → [rows, a + b + …], or 1-D vectors end to end; null unless all are plain float tensors alike. */
function concatLastAxis(name: string, tensors: TensorProto[], modelDir: string): TensorProto | null {
  const type = tensors[0]!.data_type;
  const width = BYTES[type];
  const rank = tensors[0]!.dims.length;
  if (!width || tensors.some((t) => t.data_type !== type || t.dims.length !== rank || (rank === 2 && t.dims[0] !== tensors[0]!.dims[0]))) return null;
  const parts = tensors.map((t) => bytesOf(t, modelDir));
  if (parts.some((part) => part === null)) return null;
  const rows = rank === 2 ? tensors[0]!.dims[0]! : 1;
  const columns = tensors.map((t) => t.dims.at(-1)!);
  const total = columns.reduce((sum, n) => sum + n, 0);
  const packed = new Uint8Array(rows * total * width);
  for (let row = 0; row < rows; row++) {
    let offset = row * total * width;
    parts.forEach((part, i) => {
      const length = columns[i]! * width;
      packed.set(part!.subarray(row * length, (row + 1) * length), offset);
      offset += length;
    });
  }
  return { name, dims: rank === 2 ? [rows, total] : [total], data_type: type, raw_data: packed };
}

/**
 * The weight (and bias) of one product that computes all of `projections` side by side, when each is a
 * plain MatMul on an unquantised initializer; null otherwise (quantised weights stay as they are).
 */
export function packProjections(index: GraphIndex, projections: Projection[], name: string, modelDir: string): { weight: TensorProto; bias: TensorProto | null } | null {
  if (projections.some((p) => p.node.op_type !== 'MatMul')) return null;
  const weights = projections.map((p) => index.initializers.get(p.node.input[1]!));
  if (weights.some((w) => w === undefined)) return null;
  const weight = concatLastAxis(`${name}/weight`, weights as TensorProto[], modelDir);
  if (!weight) return null;
  if (projections.every((p) => p.bias === null)) return { weight, bias: null };
  const biases = projections.map((p) => (p.bias ? index.initializers.get(p.bias.constant) : undefined));
  if (biases.some((b) => b === undefined)) return null;
  const bias = concatLastAxis(`${name}/bias`, biases as TensorProto[], modelDir);
  return bias ? { weight, bias } : null;
}
