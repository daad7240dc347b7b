import { describe, expect, it } from 'vitest';
import type { GraphSummary, InitializerHeader } from './graph-summary';
import { DataType } from './onnx-model';
import { weightOnlyDequantizedBytes } from './weight-precision';

const initializer = (name: string, dataType: number, dims: number[]): InitializerHeader => ({ name, dataType, dims, externalLocation: null, externalEnd: null });
const node = (op_type: string, input: string[], output: string[]) => ({ op_type, input, output, attribute: [] });

/** A Conv whose int8 weight is dequantised in the graph, as export.py's `to_int8_weights` writes it. */
function int8Conv(extra: GraphSummary['nodes'] = []): GraphSummary {
  return {
    inputs: [{ name: 'x' }],
    outputs: [{ name: 'y' }],
    initializers: [initializer('w_int8', DataType.INT8, [8, 4, 3, 3]), initializer('w_scale', DataType.FLOAT, [8]), initializer('w_zero', DataType.INT8, [8])],
    nodes: [node('DequantizeLinear', ['w_int8', 'w_scale', 'w_zero'], ['w']), ...extra, node('Conv', ['x', 'w'], ['y'])],
  };
}

describe('weight-only int8 graphs', () => {
  it('are those whose DequantizeLinear nodes read initializers only; their weights take 4 bytes an element once dequantised', () => {
    expect(weightOnlyDequantizedBytes(int8Conv())).toBe(8 * 4 * 3 * 3 * 4);
  });

  it('are not graphs that quantise activations (QDQ around a product), dequantise a computed tensor, or hold no DequantizeLinear', () => {
    expect(weightOnlyDequantizedBytes(int8Conv([node('QuantizeLinear', ['x', 'w_scale', 'w_zero'], ['xq'])]))).toBeNull();
    expect(weightOnlyDequantizedBytes(int8Conv([node('DynamicQuantizeLinear', ['x'], ['xq', 's', 'z'])]))).toBeNull();
    const computed = int8Conv([node('DequantizeLinear', ['xq', 'w_scale'], ['xd'])]);
    expect(weightOnlyDequantizedBytes(computed)).toBeNull();
    const float: GraphSummary = { ...int8Conv(), nodes: [node('Conv', ['x', 'w'], ['y'])] };
    expect(weightOnlyDequantizedBytes(float)).toBeNull();
  });
});
