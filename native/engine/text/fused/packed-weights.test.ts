import { describe, expect, it } from 'vitest';
import { DataType, node, tensorFromFloats, type GraphProto } from '../../onnx/onnx-model';
import type { Projection } from './decoder-anatomy';
import { GraphIndex } from './graph-index';
import { packProjections } from './packed-weights';

/** x [·, 2] × W (+ b) for two projections of widths 1 and 2, with or without biases. */
function graph(withBias: boolean): { index: GraphIndex; projections: Projection[] } {
  const g: GraphProto = {
    name: 'g',
    input: [],
    output: [],
    initializer: [
      tensorFromFloats('wa', [2, 1], Float32Array.of(1, 2)),
      tensorFromFloats('wb', [2, 2], Float32Array.of(3, 4, 5, 6)),
      tensorFromFloats('ba', [1], Float32Array.of(7)),
      tensorFromFloats('bb', [2], Float32Array.of(8, 9)),
    ],
    node: [node('MatMul', ['x', 'wa'], ['a']), node('MatMul', ['x', 'wb'], ['b'])],
  };
  const index = new GraphIndex(g);
  const projections = g.node.map((n, i): Projection => ({
    node: n,
    input: 'x',
    output: n.output[0]!,
    bias: withBias ? { node: node('Add', [n.output[0]!, ['ba', 'bb'][i]!], [`${n.output[0]}+`]), constant: ['ba', 'bb'][i]! } : null,
    outFeatures: null,
  }));
  return { index, projections };
}

const floats = (bytes: Uint8Array | undefined) => Array.from(new Float32Array(bytes!.slice().buffer));

describe('packing projections into one product', () => {
  it('puts each row of the weights side by side, and the biases end to end', () => {
    const { index, projections } = graph(true);
    const packed = packProjections(index, projections, 'qkv', '/')!;
    expect(packed.weight).toMatchObject({ name: 'qkv/weight', dims: [2, 3], data_type: DataType.FLOAT });
    expect(floats(packed.weight.raw_data)).toEqual([1, 3, 4, 2, 5, 6]);
    expect(floats(packed.bias!.raw_data)).toEqual([7, 8, 9]);
  });

  it('leaves products it cannot pack alone: quantised (not a MatMul on an initializer) or half biased', () => {
    const { index, projections } = graph(false);
    expect(packProjections(index, projections, 'qkv', '/')!.bias).toBeNull();
    expect(packProjections(index, [projections[0]!, { ...projections[1]!, node: { ...projections[1]!.node, op_type: 'MatMulNBits' } }], 'qkv', '/')).toBeNull();
    const biased = graph(true).projections;
    expect(packProjections(index, [biased[0]!, projections[1]!], 'qkv', '/')).toBeNull();
  });
});
