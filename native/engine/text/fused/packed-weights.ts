import { attributeInt, DataType, inlineExternalData, node, type NodeProto, type TensorProto } from '../../onnx/onnx-model';
import type { GraphIndex } from './graph-index';
import type { Projection } from './decoder-anatomy';

const BYTES: Partial<Record<number, number>> = { [DataType.FLOAT]: 4, [DataType.FLOAT16]: 2, [DataType.INT8]: 1, [DataType.UINT8]: 1 };

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

export interface PackedProduct {
  /** The tensor to multiply by: a new initializer, or the output of a new DequantizeLinear. */
  weight: string;
  bias: string | null;
  initializers: TensorProto[];
  nodes: NodeProto[];
}

/** The initializers of a per-output-channel DequantizeLinear (axis 1) that produces `name`, or null. */
function perChannelDequantize(index: GraphIndex, name: string): TensorProto[] | null {
  const source = index.producer.get(name);
  if (source?.op_type !== 'DequantizeLinear' || source.attribute.find((a) => a.name === 'axis')?.i !== 1) return null;
  const inputs = source.input.filter(Boolean).map((input) => index.initializers.get(input));
  return inputs.every((tensor) => tensor !== undefined) ? (inputs as TensorProto[]) : null;
}

/** The packed weight of `projections`: their plain float weights side by side, or their int8 weights, scales and zero points. */
function packWeights(index: GraphIndex, projections: Projection[], name: string, modelDir: string): Omit<PackedProduct, 'bias'> | null {
  const weights = projections.map((p) => index.initializers.get(p.node.input[1]!));
  if (weights.every((w) => w !== undefined)) {
    const weight = concatLastAxis(name, weights as TensorProto[], modelDir);
    return weight ? { weight: name, initializers: [weight], nodes: [] } : null;
  }
  const dequantized = projections.map((p) => perChannelDequantize(index, p.node.input[1]!));
  const arity = dequantized[0]?.length;
  if (!arity || dequantized.some((inputs) => inputs?.length !== arity)) return null;
  const parts = ['int8', 'scale', 'zero_point'].slice(0, arity).map((part, i) => concatLastAxis(`${name}/${part}`, dequantized.map((inputs) => inputs![i]!), modelDir));
  if (parts.some((part) => part === null)) return null;
  const dequantize = node('DequantizeLinear', parts.map((part) => part!.name), [name], [attributeInt('axis', 1)]);
  return { weight: name, initializers: parts as TensorProto[], nodes: [dequantize] };
}

/**
 * One product that computes all of `projections` side by side, when each is a MatMul on a float
 * initializer or on a per-channel int8 DequantizeLinear of one; null otherwise (those stay apart).
 */
export function packProjections(index: GraphIndex, projections: Projection[], name: string, modelDir: string): PackedProduct | null {
  if (projections.some((p) => p.node.op_type !== 'MatMul')) return null;
  const packed = packWeights(index, projections, `${name}/weight`, modelDir);
  if (!packed) return null;
  if (projections.every((p) => p.bias === null)) return { ...packed, bias: null };
  const biases = projections.map((p) => (p.bias ? index.initializers.get(p.bias.constant) : undefined));
  if (biases.some((b) => b === undefined)) return null;
  const bias = concatLastAxis(`${name}/bias`, biases as TensorProto[], modelDir);
  return bias ? { ...packed, bias: bias.name, initializers: [...packed.initializers, bias] } : null;
}
