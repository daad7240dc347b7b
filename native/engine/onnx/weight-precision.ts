import { DataType } from './onnx-model';
import { attribute, readGraphSummary, type GraphSummary, type InitializerHeader } from './graph-summary';

const BYTES_PER_ELEMENT: Record<number, number> = { [DataType.FLOAT]: 4, [DataType.FLOAT16]: 2, [DataType.INT8]: 1, [DataType.UINT8]: 1 };
function initializerBytes(initializer: InitializerHeader): number {
  return initializer.dims.reduce((product, dim) => product * dim, 1) * (BYTES_PER_ELEMENT[initializer.dataType] ?? 0);
}

const QUANTISED_TYPES: readonly number[] = [DataType.INT8, DataType.UINT8];

/**
 * What a graph's weights are stored as, read from the graph rather than its file name: `int4` (or
 * another width) for `MatMulNBits` products, else the element type holding most weight bytes.
 */
export function weightPrecision(summary: GraphSummary): string {
  const packed = summary.nodes.find((node) => node.op_type === 'MatMulNBits');
  if (packed) return `int${attribute(packed, 'bits')?.i ?? 4}`;
  const bytes = new Map<number, number>();
  for (const initializer of summary.initializers) {
    const size = initializerBytes(initializer);
    const type = QUANTISED_TYPES.includes(initializer.dataType) ? DataType.INT8 : initializer.dataType;
    bytes.set(type, (bytes.get(type) ?? 0) + size);
  }
  const [dominant] = [...bytes.entries()].sort((a, b) => b[1] - a[1])[0] ?? [DataType.FLOAT];
  return dominant === DataType.FLOAT16 ? 'fp16' : dominant === DataType.INT8 ? 'int8' : 'fp32';
}

/**
 * The precision of a file whose name does not say it (`model.onnx`), from the weights its graph holds:
 * fp16 and int4 exports are often shipped under the plain name. A graph that cannot be read keeps the
 * name's fp32; validation says what is wrong with it.
 */
export function filePrecision(file: string, named: string): string {
  if (named !== 'fp32') return named;
  try {
    return weightPrecision(readGraphSummary(file));
  } catch {
    return named;
  }
}

/**
 * The weight bytes one decode step reads: every initializer, except tables only gathered from (an
 * embedding lookup reads one row per token).
 */
export function weightBytesPerToken(summary: GraphSummary): number {
  const gatheredOnly = new Set(summary.initializers.map((initializer) => initializer.name));
  for (const node of summary.nodes) {
    node.input.forEach((input, slot) => {
      if (node.op_type !== 'Gather' || slot !== 0) gatheredOnly.delete(input);
    });
  }
  return summary.initializers
    .filter((initializer) => !gatheredOnly.has(initializer.name))
    .reduce((sum, initializer) => sum + initializerBytes(initializer), 0);
}

/**
 * Whether a graph is quantised in its weights only: every DequantizeLinear reads initializers (int8 weights with
 * their scales) and nothing quantises an activation (no QuantizeLinear), as the image recipe's `model_int8.onnx`.
 * onnxruntime keeps such DequantizeLinear nodes out of constant folding, to fuse them with the QuantizeLinear
 * around a product into integer kernels; with no activation to quantise there is nothing to fuse, and each
 * inference dequantises every weight again. Returns the weight bytes once dequantised to float32, or null when
 * the graph is not of this kind.
 */
export function weightOnlyDequantizedBytes(summary: GraphSummary): number | null {
  const initializers = new Map(summary.initializers.map((initializer) => [initializer.name, initializer]));
  const dequantize = summary.nodes.filter((node) => node.op_type === 'DequantizeLinear');
  if (dequantize.length === 0 || summary.nodes.some((node) => node.op_type === 'QuantizeLinear' || node.op_type === 'DynamicQuantizeLinear')) return null;
  if (!dequantize.every((node) => node.input.every((input) => input === '' || initializers.has(input)))) return null;
  const weights = new Set(dequantize.map((node) => node.input[0]!));
  return [...weights].reduce((sum, name) => sum + initializers.get(name)!.dims.reduce((product, dim) => product * dim, 1) * 4, 0);
}
