import path from 'node:path';
import { MAX_NEW_TOKENS } from '../../../contract';
import { DataType, elemType, encodeModel, readModel } from '../../onnx/onnx-model';
import { modelFileBytes } from '../../onnx/open-session';
import type { DecoderConfig } from '../model-folder';
import { readDecoderAnatomy, UnfusableGraph, type DecoderShape } from './decoder-anatomy';
import { buildFusedDecoder } from './fused-graph';

export { UnfusableGraph } from './decoder-anatomy';

/** Which graph a decoder session runs: the export as it is, or its fused rewrite (and why not). */
export type DecoderGraph = { kind: 'fused'; nodes: number; sourceNodes: number } | { kind: 'export'; reason: string };

/** The rewrite is one protobuf in memory, whose format caps it at 2 GB; leave room for the rotary tables. */
const MAX_REWRITE_BYTES = 1.8 * 1024 ** 3;

/** Contrib kernels that already compute a whole attention block: a graph on them has nothing left to fuse. */
const FUSED_ATTENTION_OPS = new Set(['GroupQueryAttention', 'MultiHeadAttention', 'Attention', 'PackedMultiHeadAttention']);

/** Model types whose decoder layer is the Llama one (RMS norm, RoPE, grouped-query attention, SiLU-gated MLP). */
const LLAMA_LIKE = new Set(['llama', 'mistral', 'qwen2']);

function configBlocker(config: DecoderConfig): string | null {
  if (!config.modelType || !LLAMA_LIKE.has(config.modelType)) return `model type ${config.modelType ?? 'unknown'} is not a Llama-style decoder`;
  if (config.hiddenAct !== null && config.hiddenAct !== 'silu') return `its MLP activation is ${config.hiddenAct}, not SiLU`;
  if (config.ropeScaling !== null && config.ropeScaling !== 'default') return `it uses ${config.ropeScaling} RoPE scaling`;
  if (config.partialRotaryFactor !== 1) return 'it rotates only part of each head';
  if (config.slidingWindow !== null && config.slidingWindow < config.contextLength) return 'it attends within a sliding window';
  if (config.headDim % 2 !== 0) return 'its head size is odd';
  return null;
}

/**
 * Rewrites a text decoder export onto onnxruntime's fused kernels (see `buildFusedDecoder`), in memory.
 * Throws `UnfusableGraph` saying why when the model or its graph is not one the rewrite reproduces.
 */
export function fuseDecoderGraph(file: string, config: DecoderConfig): { bytes: Uint8Array; graph: DecoderGraph } {
  const blocker = configBlocker(config);
  if (blocker) throw new UnfusableGraph(blocker);
  if (modelFileBytes(file) > MAX_REWRITE_BYTES) throw new UnfusableGraph('it is too large to rewrite in memory (a protobuf holds at most 2 GB)');
  const source = readModel(file);
  const { graph } = source;
  if (graph.node.some((n) => n.op_type === 'If' || n.op_type === 'Loop')) throw new UnfusableGraph('the graph branches (a merged decoder)');
  const fusedAttention = graph.node.find((n) => FUSED_ATTENTION_OPS.has(n.op_type));
  if (fusedAttention) throw new UnfusableGraph(`its attention already runs on onnxruntime's ${fusedAttention.op_type} kernel`);
  const input = (name: string) => graph.input.find((info) => info.name === name);
  if (!input('past_key_values.0.key')) throw new UnfusableGraph('its cache is not named past_key_values.N.key/value');
  const layers = graph.input.filter((info) => /^past_key_values\.\d+\.key$/.test(info.name)).length;
  if (elemType(input('past_key_values.0.key')) !== DataType.FLOAT) throw new UnfusableGraph('its KV cache is not float32');
  if (elemType(graph.output.find((info) => info.name === 'logits')) !== DataType.FLOAT) throw new UnfusableGraph('its logits are not float32');
  const shape: DecoderShape = {
    layers,
    hiddenSize: config.hiddenSize,
    heads: config.numHeads,
    kvHeads: config.numKvHeads,
    headDim: config.headDim,
    vocabSize: config.vocabSize,
  };
  const anatomy = readDecoderAnatomy(graph, shape);
  const fused = buildFusedDecoder(
    source,
    anatomy,
    {
      shape,
      rmsNormEps: config.rmsNormEps ?? 1e-6,
      ropeTheta: config.ropeTheta,
      // an attention window lets positions run past the context, up to the longest generation a request may ask for
      rotaryPositions: config.contextLength + MAX_NEW_TOKENS,
      attentionBias: config.trainedAttention !== null,
    },
    path.dirname(file),
  );
  return { bytes: encodeModel(fused), graph: { kind: 'fused', nodes: fused.graph.node.length, sourceNodes: graph.node.length } };
}
