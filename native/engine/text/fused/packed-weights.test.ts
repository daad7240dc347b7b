import { describe, expect, it } from 'vitest';
import { attributeInt, DataType, node, tensorFromFloats, type GraphProto } from '../../onnx/onnx-model';
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
    const packed = packProjections(index, projections, 'x', 'qkv', '/')!;
    const tensor = (name: string) => packed.initializers.find((t) => t.name === name)!;
    expect(packed.nodes).toEqual([node('MatMul', ['x', 'qkv/weight'], ['qkv/product']), node('Add', ['qkv/product', 'qkv/bias'], ['qkv'])]);
    expect(tensor('qkv/weight')).toMatchObject({ dims: [2, 3], data_type: DataType.FLOAT });
    expect(floats(tensor('qkv/weight').raw_data)).toEqual([1, 3, 4, 2, 5, 6]);
    expect(floats(tensor('qkv/bias').raw_data)).toEqual([7, 8, 9]);
  });

  it('packs per-channel int8 weights with their scales and zero points behind one DequantizeLinear', () => {
    const int8 = (name: string, dims: number[], values: number[]) => ({ name, dims, data_type: DataType.INT8, raw_data: Uint8Array.from(values, (v) => v & 0xff) });
    const g: GraphProto = {
      name: 'g',
      input: [],
      output: [],
      initializer: [
        int8('qa', [2, 1], [1, -2]),
        tensorFromFloats('sa', [1], Float32Array.of(0.5)),
        int8('za', [1], [0]),
        int8('qb', [2, 2], [3, 4, 5, -6]),
        tensorFromFloats('sb', [2], Float32Array.of(0.25, 2)),
        int8('zb', [2], [0, 1]),
      ],
      node: [
        node('DequantizeLinear', ['qa', 'sa', 'za'], ['wa'], [attributeInt('axis', 1)]),
        node('DequantizeLinear', ['qb', 'sb', 'zb'], ['wb'], [attributeInt('axis', 1)]),
        node('MatMul', ['x', 'wa'], ['a']),
        node('MatMul', ['x', 'wb'], ['b']),
      ],
    };
    const index = new GraphIndex(g);
    const projections = g.node.slice(2).map((n): Projection => ({ node: n, input: 'x', output: n.output[0]!, bias: null, outFeatures: null }));
    const packed = packProjections(index, projections, 'x', 'qkv', '/')!;
    expect(packed.nodes).toEqual([
      node('DequantizeLinear', ['qkv/weight/int8', 'qkv/weight/scale', 'qkv/weight/zero_point'], ['qkv/weight'], [attributeInt('axis', 1)]),
      node('MatMul', ['x', 'qkv/weight'], ['qkv']),
    ]);
    const tensor = (name: string) => packed.initializers.find((t) => t.name === name)!;
    expect(tensor('qkv/weight/int8').dims).toEqual([2, 3]);
    expect(Array.from(new Int8Array(tensor('qkv/weight/int8').raw_data!.slice().buffer))).toEqual([1, 3, 4, -2, 5, -6]);
    expect(floats(tensor('qkv/weight/scale').raw_data)).toEqual([0.5, 0.25, 2]);
    expect(Array.from(tensor('qkv/weight/zero_point').raw_data!)).toEqual([0, 0, 1]);
  });

  it('packs MatMulNBits products alike in blocks row after row: weights, scales, zero points, and N summed', () => {
    const uint8 = (name: string, dims: number[], values: number[]) => ({ name, dims, data_type: DataType.UINT8, raw_data: Uint8Array.from(values) });
    const nbits = (weight: string, scales: string, zeros: string, out: string, rows: number, accuracy = 4) =>
      ({ ...node('MatMulNBits', ['x', weight, scales, zeros], [out], [attributeInt('K', 32), attributeInt('N', rows), attributeInt('bits', 4), attributeInt('block_size', 32), attributeInt('accuracy_level', accuracy)], 'com.microsoft'), name: out });
    const g: GraphProto = {
      name: 'g',
      input: [],
      output: [],
      initializer: [
        uint8('qa', [1, 1, 16], Array.from({ length: 16 }, (_, i) => i)),
        tensorFromFloats('sa', [1], Float32Array.of(0.5)),
        uint8('za', [1], [8]),
        uint8('qb', [2, 1, 16], Array.from({ length: 32 }, (_, i) => 100 + i)),
        tensorFromFloats('sb', [2], Float32Array.of(0.25, 2)),
        uint8('zb', [2], [7, 9]),
      ],
      node: [nbits('qa', 'sa', 'za', 'a', 1), nbits('qb', 'sb', 'zb', 'b', 2)],
    };
    const index = new GraphIndex(g);
    const projections = g.node.map((n): Projection => ({ node: n, input: 'x', output: n.output[0]!, bias: null, outFeatures: null }));
    const packed = packProjections(index, projections, 'x', 'qkv', '/')!;
    expect(packed.nodes).toHaveLength(1);
    const [product] = packed.nodes;
    expect(product).toMatchObject({ op_type: 'MatMulNBits', domain: 'com.microsoft', input: ['x', 'qkv/product/weight', 'qkv/product/scales', 'qkv/product/zero_points'], output: ['qkv'] });
    expect(Object.fromEntries(product!.attribute.map((a) => [a.name, a.i]))).toEqual({ K: 32, N: 3, bits: 4, block_size: 32, accuracy_level: 4 });
    const tensor = (name: string) => packed.initializers.find((t) => t.name === name)!;
    expect(tensor('qkv/product/weight').dims).toEqual([3, 1, 16]);
    expect(Array.from(tensor('qkv/product/weight').raw_data!)).toEqual([...Array.from({ length: 16 }, (_, i) => i), ...Array.from({ length: 32 }, (_, i) => 100 + i)]);
    expect(floats(tensor('qkv/product/scales').raw_data)).toEqual([0.5, 0.25, 2]);
    expect(Array.from(tensor('qkv/product/zero_points').raw_data!)).toEqual([8, 7, 9]);

    const otherAccuracy = { ...projections[1]!, node: nbits('qb', 'sb', 'zb', 'b', 2, 0) };
    expect(packProjections(index, [projections[0]!, otherAccuracy], 'x', 'qkv', '/')).toBeNull();
  });

  it('leaves products it cannot pack alone: a MatMul beside a MatMulNBits, or half of them biased', () => {
    const { index, projections } = graph(false);
    expect(packProjections(index, projections, 'x', 'qkv', '/')!.nodes).toEqual([node('MatMul', ['x', 'qkv/weight'], ['qkv'])]);
    expect(packProjections(index, [projections[0]!, { ...projections[1]!, node: { ...projections[1]!.node, op_type: 'MatMulNBits' } }], 'x', 'qkv', '/')).toBeNull();
    const biased = graph(true).projections;
    expect(packProjections(index, [biased[0]!, projections[1]!], 'x', 'qkv', '/')).toBeNull();
  });
});
