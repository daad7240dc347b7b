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

/** Tensors alike but in their first dimension, end to end along it: [a, …] ‖ [b, …] → [a + b, …]. */
function concatFirstAxis(name: string, tensors: TensorProto[], modelDir: string): TensorProto | null {
  const [first] = tensors;
  const trailing = JSON.stringify(first!.dims.slice(1));
  if (!BYTES[first!.data_type] || first!.dims.length === 0 || tensors.some((t) => t.data_type !== first!.data_type || JSON.stringify(t.dims.slice(1)) !== trailing)) return null;
  const parts = tensors.map((t) => bytesOf(t, modelDir));
  if (parts.some((part) => part === null)) return null;
  const packed = new Uint8Array(parts.reduce((sum, part) => sum + part!.length, 0));
  let offset = 0;
  for (const part of parts) {
    packed.set(part!, offset);
    offset += part!.length;
  }
  return { name, dims: [tensors.reduce((sum, t) => sum + t.dims[0]!, 0), ...first!.dims.slice(1)], data_type: first!.data_type, raw_data: packed };
}

/** The initializers of a per-output-channel DequantizeLinear (axis 1) that produces `name`, or null. */
function perChannelDequantize(index: GraphIndex, name: string): TensorProto[] | null {
  const source = index.producer.get(name);
  if (source?.op_type !== 'DequantizeLinear' || source.attribute.find((a) => a.name === 'axis')?.i !== 1) return null;
  const inputs = source.input.filter(Boolean).map((input) => index.initializers.get(input));
  return inputs.every((tensor) => tensor !== undefined) ? (inputs as TensorProto[]) : null;
}

/** What a product computes with besides its input: new initializers, and the nodes that produce its weight. */
interface PackedWeight {
  weight: string;
  initializers: TensorProto[];
  nodes: NodeProto[];
}

/** The packed weight of MatMul `projections`: their plain float weights side by side, or their int8 weights, scales and zero points. */
function packMatMulWeights(index: GraphIndex, projections: Projection[], name: string, modelDir: string): PackedWeight | null {
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

/** Attributes MatMulNBits products must share to run as one: the same blocks of the same width over the same input. */
const NBITS_SHARED_ATTRIBUTES = ['K', 'bits', 'block_size', 'accuracy_level'];
/** MatMulNBits inputs after A, by position. */
const NBITS_INPUTS = ['weight', 'scales', 'zero_points', 'g_idx', 'bias'];

function intAttribute(n: NodeProto, name: string): number | undefined {
  const value = n.attribute.find((a) => a.name === name)?.i;
  return value === undefined ? undefined : Number(value);
}

/**
 * One MatMulNBits over the rows of all of `products` (its weights, scales, zero points and bias are laid out by
 * output row, so they pack end to end), or null when they differ in blocks or width or reorder their input (g_idx).
 */
function packNBitsProducts(index: GraphIndex, products: NodeProto[], input: string, output: string, modelDir: string): { initializers: TensorProto[]; node: NodeProto } | null {
  const [first] = products;
  if (products.some((n) => NBITS_SHARED_ATTRIBUTES.some((name) => intAttribute(n, name) !== intAttribute(first!, name)))) return null;
  const initializers: TensorProto[] = [];
  const inputs = [input];
  for (const [slot, part] of NBITS_INPUTS.entries()) {
    const names = products.map((n) => n.input[slot + 1] ?? '');
    if (names.every((name) => name === '')) {
      inputs.push('');
      continue;
    }
    if (part === 'g_idx') return null;
    const tensors = names.map((name) => index.initializers.get(name));
    if (tensors.some((tensor) => tensor === undefined)) return null;
    const packed = concatFirstAxis(`${output}/${part}`, tensors as TensorProto[], modelDir);
    if (!packed) return null;
    initializers.push(packed);
    inputs.push(packed.name);
  }
  while (inputs.at(-1) === '') inputs.pop();
  const rows = products.reduce((sum, n) => sum + (intAttribute(n, 'N') ?? NaN), 0);
  if (!Number.isFinite(rows)) return null;
  const attributes = first!.attribute.map((a) => (a.name === 'N' ? attributeInt('N', rows) : a));
  return { initializers, node: { ...node('MatMulNBits', inputs, [output], attributes, first!.domain), name: output } };
}

/** Nodes computing all of `projections` side by side in one product, and the initializers they add. */
export interface PackedProduct {
  initializers: TensorProto[];
  nodes: NodeProto[];
}

/** `input × W + b` into `output`, with the bias Add only where there is a bias. */
function withBias(index: GraphIndex, projections: Projection[], product: (into: string) => NodeProto[], output: string, modelDir: string): PackedProduct | null {
  if (projections.every((p) => p.bias === null)) return { initializers: [], nodes: product(output) };
  const biases = projections.map((p) => (p.bias ? index.initializers.get(p.bias.constant) : undefined));
  if (biases.some((b) => b === undefined)) return null;
  const bias = concatLastAxis(`${output}/bias`, biases as TensorProto[], modelDir);
  return bias ? { initializers: [bias], nodes: [...product(`${output}/product`), node('Add', [`${output}/product`, bias.name], [output])] } : null;
}

/**
 * One product writing [p₁ | p₂ | …] of `projections` (all on `input`) into `output`: MatMuls on float initializers
 * or on per-channel int8 DequantizeLinears of them, or MatMulNBits alike in blocks; null otherwise (those stay apart).
 */
export function packProjections(index: GraphIndex, projections: Projection[], input: string, output: string, modelDir: string): PackedProduct | null {
  const op = projections[0]!.node.op_type;
  if (projections.some((p) => p.node.op_type !== op)) return null;
  if (op === 'MatMulNBits') {
    const packed = packNBitsProducts(index, projections.map((p) => p.node), input, `${output}/product`, modelDir);
    if (!packed) return null;
    const biased = withBias(index, projections, (into) => [{ ...packed.node, name: into, output: [into] }], output, modelDir);
    return biased ? { initializers: [...packed.initializers, ...biased.initializers], nodes: biased.nodes } : null;
  }
  if (op !== 'MatMul') return null;
  const weight = packMatMulWeights(index, projections, `${output}/weight`, modelDir);
  if (!weight) return null;
  const biased = withBias(index, projections, (into) => [...weight.nodes, node('MatMul', [input, weight.weight], [into])], output, modelDir);
  return biased ? { initializers: [...weight.initializers, ...biased.initializers], nodes: biased.nodes } : null;
}
