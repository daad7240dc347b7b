import {
  attributeFloat,
  attributeInt,
  DataType,
  node,
  tensorFromFloats,
  tensorValueInfo,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from '../../onnx/onnx-model';
import { UnfusableGraph, type AttentionProjections, type DecoderAnatomy, type DecoderShape, type GateActivation, type Projection } from './decoder-anatomy';
import { packProjections } from './packed-weights';

export interface FusionSettings {
  shape: DecoderShape;
  rmsNormEps: number;
  ropeTheta: number;
  /** Rows of the rotary cos/sin tables: the largest absolute position the graph can run at, plus one. */
  rotaryPositions: number;
  /** Take an additive `attention_bias` [1, 1, sequence, total] input: the mask of a model trained on local + global attention. */
  attentionBias: boolean;
}

const MS = 'com.microsoft';

/** onnxruntime's kernel for each gate activation: QuickGelu(α=1) is x·σ(x), FastGelu GELU's tanh approximation. */
const ACTIVATION_KERNELS: Record<GateActivation, (input: string, output: string) => NodeProto> = {
  silu: (input, output) => node('QuickGelu', [input], [output], [attributeFloat('alpha', 1)], MS),
  'gelu-tanh': (input, output) => node('FastGelu', [input], [output], [], MS),
  gelu: (input, output) => node('Gelu', [input], [output], [], MS),
};

/** cos/sin of position × inverse frequency, in float32 as transformers computes them (non-interleaved halves). */
export function rotaryTables(headDim: number, theta: number, positions: number): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const inverse = Float32Array.from({ length: half }, (_, i) => 1 / Math.fround(theta ** Math.fround((2 * i) / headDim)));
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(p * inverse[i]!);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/**
 * The same decoder rewritten onto onnxruntime's fused kernels: per layer SkipSimplifiedLayerNormalization
 * (residual add + RMS norm), one [q | k | v] product and one [gate | up] product (packed here when the export
 * keeps them apart: float, per-channel int8 and MatMulNBits weights alike; decode reads the same bytes in fewer,
 * longer kernel calls), GroupQueryAttention over the cache with RoPE applied inside at the fed absolute positions,
 * one kernel for the gate's activation. Other quantised weights (other DequantizeLinear) are carried over
 * untouched, so the graph computes what the export computes with a few dozen nodes instead of a few
 * hundred. The KV inputs and outputs keep their names and [batch, kv_heads, length, head_dim] layout, so a
 * cache moves freely between this and the export. Weights carried over keep their place in the export's
 * external data file (`modelDir`), where a session opened from the rewrite's bytes finds them; packed ones are
 * new tensors inside the rewrite.
 */
export function buildFusedDecoder(source: ModelProto, anatomy: DecoderAnatomy, settings: FusionSettings, modelDir: string): ModelProto {
  const { index } = anatomy;
  const { shape } = settings;
  const copiedNodes: NodeProto[] = [];
  const initializers = new Map<string, TensorProto>();
  const nodes: NodeProto[] = [];
  const constant = (name: string) => {
    index.closure(name, copiedNodes, initializers);
    return name;
  };
  const project = (p: Projection, input: string, output: string) => {
    const product = p.bias ? `${output}/product` : output;
    p.node.input.slice(1).forEach(constant);
    nodes.push({ ...p.node, name: output, input: [input, ...p.node.input.slice(1)], output: [product] });
    if (p.bias) nodes.push(node('Add', [product, constant(p.bias.constant)], [output]));
    return output;
  };
  const skipNorm = (delta: string, residual: string, scale: string, normed: string, sum: string) =>
    nodes.push(node('SkipSimplifiedLayerNormalization', [delta, residual, constant(scale)], sum ? [normed, '', '', sum] : [normed], [attributeFloat('epsilon', settings.rmsNormEps)], MS));

  const opsetVersion = source.opset_import.find((opset) => (opset.domain ?? '') === '')?.version ?? 17;
  /** Splits the last axis into parts of `sizes` (Split takes its sizes as an input from opset 13 on). */
  const splitLastAxis = (input: string, sizes: number[], outputs: string[]) => {
    if (opsetVersion >= 13) {
      const name = `${outputs[0]}/sizes`;
      initializers.set(name, { name, dims: [sizes.length], data_type: DataType.INT64, int64_data: sizes });
      nodes.push(node('Split', [input, name], outputs, [attributeInt('axis', -1)]));
    } else {
      nodes.push(node('Split', [input], outputs, [attributeInt('axis', -1), { name: 'split', type: 7, ints: sizes }]));
    }
  };

  const tables = rotaryTables(shape.headDim, settings.ropeTheta, settings.rotaryPositions);
  initializers.set('fused/cos_cache', tensorFromFloats('fused/cos_cache', [settings.rotaryPositions, shape.headDim / 2], tables.cos));
  initializers.set('fused/sin_cache', tensorFromFloats('fused/sin_cache', [settings.rotaryPositions, shape.headDim / 2], tables.sin));
  /** Adds one product of `projections` side by side into `output`; false when they cannot share one. */
  const packedProduct = (projections: Projection[], input: string, output: string): boolean => {
    const packed = packProjections(index, projections, input, output, modelDir);
    if (!packed) return false;
    for (const tensor of packed.initializers) initializers.set(tensor.name, tensor);
    nodes.push(...packed.nodes);
    return true;
  };
  /** q, k, v as GroupQueryAttention's first three inputs: one packed [q | k | v] product where possible (k and v then left empty). */
  const attentionInputs = (attention: AttentionProjections, input: string, at: (name: string) => string): string[] => {
    if (attention.packed) return [project(attention.qkv, input, at('qkv')), '', ''];
    if (packedProduct([attention.q, attention.k, attention.v], input, at('qkv'))) return [at('qkv'), '', ''];
    return [project(attention.q, input, at('q')), project(attention.k, input, at('k')), project(attention.v, input, at('v'))];
  };

  index.closure(anatomy.embeddings, copiedNodes, initializers, new Set(['input_ids']));
  let residual = anatomy.embeddings;
  let pending: string | null = null;
  anatomy.layers.forEach((layer, l) => {
    const at = (name: string) => `fused/${l}/${name}`;
    if (pending === null) {
      nodes.push(node('SimplifiedLayerNormalization', [residual, constant(layer.inputNorm)], [at('normed')], [attributeInt('axis', -1), attributeFloat('epsilon', settings.rmsNormEps)]));
    } else {
      skipNorm(pending, residual, layer.inputNorm, at('normed'), at('residual_in'));
      residual = at('residual_in');
    }
    nodes.push(
      node(
        'GroupQueryAttention',
        [
          ...attentionInputs(layer.attention, at('normed'), at),
          ...[`past_key_values.${l}.key`, `past_key_values.${l}.value`, 'seqlens_k', 'total_sequence_length'],
          ...['fused/cos_cache', 'fused/sin_cache', 'position_ids'],
          ...(settings.attentionBias ? ['attention_bias'] : []),
        ],
        [at('attention'), `present.${l}.key`, `present.${l}.value`],
        [attributeInt('num_heads', shape.heads), attributeInt('kv_num_heads', shape.kvHeads), attributeInt('do_rotary', 1), attributeFloat('scale', anatomy.attentionScale)],
        MS,
      ),
    );
    skipNorm(project(layer.o, at('attention'), at('attention_out')), residual, layer.postNorm, at('mlp_normed'), at('residual_mid'));
    residual = at('residual_mid');
    const { mlp } = layer;
    if (mlp.packed) {
      const half = mlp.gateUp.outFeatures;
      if (half === null) throw new UnfusableGraph(`layer ${l}'s packed gate/up product has no known width`);
      splitLastAxis(project(mlp.gateUp, at('mlp_normed'), at('gate_up')), [half / 2, half / 2], [at('gate'), at('up')]);
    } else if (mlp.gate.outFeatures !== null && mlp.up.outFeatures !== null && packedProduct([mlp.gate, mlp.up], at('mlp_normed'), at('gate_up'))) {
      splitLastAxis(at('gate_up'), [mlp.gate.outFeatures, mlp.up.outFeatures], [at('gate'), at('up')]);
    } else {
      project(mlp.gate, at('mlp_normed'), at('gate'));
      project(mlp.up, at('mlp_normed'), at('up'));
    }
    nodes.push(ACTIVATION_KERNELS[anatomy.gateActivation](at('gate'), at('gate_activated')));
    nodes.push(node('Mul', [at('gate_activated'), at('up')], [at('gated')]));
    pending = project(layer.down, at('gated'), at('mlp_out'));
  });
  skipNorm(pending!, residual, anatomy.finalNorm, 'fused/final_normed', '');
  project(anatomy.lmHead, 'fused/final_normed', 'logits');

  const graph = source.graph;
  const kvInputs = graph.input.filter((info) => info.name.startsWith('past_key_values.'));
  const outputs = graph.output.filter((info) => info.name === 'logits' || info.name.startsWith('present.'));
  const inputIds = graph.input.find((info) => info.name === 'input_ids')!;
  const opsets = source.opset_import.filter((opset) => (opset.domain ?? '') !== MS);
  return {
    ir_version: source.ir_version,
    producer_name: 'pareto-studio fused decoder',
    opset_import: [...opsets, { domain: MS, version: 1 }],
    graph: {
      name: `${graph.name}_fused`,
      node: [...copiedNodes, ...nodes],
      initializer: [...initializers.values()],
      input: [
        inputIds,
        tensorValueInfo('position_ids', DataType.INT64, ['batch_size', 'sequence_length']),
        ...kvInputs,
        tensorValueInfo('seqlens_k', DataType.INT32, ['batch_size']),
        tensorValueInfo('total_sequence_length', DataType.INT32, []),
        ...(settings.attentionBias ? [tensorValueInfo('attention_bias', DataType.FLOAT, [1, 1, 'sequence_length', 'total_sequence_length'])] : []),
      ],
      output: outputs,
    },
  };
}
