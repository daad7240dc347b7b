import path from 'node:path';
import { MAX_NEW_TOKENS } from '../../../contract';
import { DataType, elemType, encodeModel, readModel, type ModelProto, type NodeProto, type ValueInfoProto } from '../../onnx/onnx-model';
import { readGraphSummary } from '../../onnx/graph-summary';
import { modelFileBytes } from '../../onnx/open-session';
import type { DecoderConfig } from '../model-folder';
import { readDecoderAnatomy, UnfusableGraph, type DecoderShape, type GateActivation } from './decoder-anatomy';
import { withAddedPositionsOnly } from './added-positions';
import { buildFusedDecoder } from './fused-graph';

export { UnfusableGraph } from './decoder-anatomy';

/**
 * Which graph a decoder session runs: its fused rewrite; the export with its present outputs cut to the
 * positions each step adds (`withAddedPositionsOnly`, for exports already on GroupQueryAttention), and why it
 * was not fused; or the export as it is, and why not.
 */
export type DecoderGraph = { kind: 'fused'; nodes: number; sourceNodes: number } | { kind: 'appending'; reason: string } | { kind: 'export'; reason: string };

/** What a decoder session runs, in a few words. */
export function describeDecoderGraph(graph: DecoderGraph): string {
  if (graph.kind === 'fused') return `fused rewrite, ${graph.nodes} nodes (export ${graph.sourceNodes})`;
  if (graph.kind === 'appending') return `export returning only the positions each step adds (not fused: ${graph.reason})`;
  return `export as it is (${graph.reason})`;
}

/**
 * The rewrite is one protobuf in memory, whose format caps it at 2 GB (room left for the rotary tables): weights
 * it packs are inside it, those it carries over stay in the export's external data.
 */
const MAX_REWRITE_BYTES = 1.8 * 1024 ** 3;
const TOO_LARGE = 'its packed weights are too large to rewrite in memory (a protobuf holds at most 2 GB)';

/** Packed products are most of a decoder's weights, so an export this large could not fit them in one protobuf. */
const MAX_SOURCE_BYTES = 3 * MAX_REWRITE_BYTES;

function inlineBytes(model: ModelProto): number {
  return model.graph.initializer.reduce((sum, t) => sum + (t.raw_data?.length ?? 0) + 4 * (t.float_data?.length ?? 0) + 8 * (t.int64_data?.length ?? 0), 0);
}

/** Contrib kernels that already compute a whole attention block: a graph on them has nothing left to fuse. */
const FUSED_ATTENTION_OPS = new Set(['GroupQueryAttention', 'MultiHeadAttention', 'Attention', 'PackedMultiHeadAttention']);

/**
 * Model types whose decoder layer is the Llama one: RMS norm, RoPE, grouped-query attention, gated MLP (Phi-3 packs
 * q|k|v and gate|up into one product each; Gemma's differences, a GELU gate, norm scales of 1 + w and scaled
 * embeddings, are in its graph's ops and constants). Their variants that window attention or scale RoPE are
 * refused by what their config says.
 */
const LLAMA_LIKE = new Set(['llama', 'mistral', 'qwen2', 'phi3', 'gemma']);

/** The gate activations transformers names in config.json, as the fused graph computes them. */
const CONFIG_ACTIVATIONS: Record<string, GateActivation> = {
  silu: 'silu',
  swish: 'silu',
  gelu_pytorch_tanh: 'gelu-tanh',
  gelu_new: 'gelu-tanh',
  gelu_fast: 'gelu-tanh',
  gelu: 'gelu',
};

function configBlocker(config: DecoderConfig): string | null {
  if (!config.modelType || !LLAMA_LIKE.has(config.modelType)) return `model type ${config.modelType ?? 'unknown'} is not a Llama-style decoder`;
  if (config.hiddenAct !== null && !CONFIG_ACTIVATIONS[config.hiddenAct]) return `its MLP activation is ${config.hiddenAct}, which the fused graph does not compute`;
  if (config.ropeScaling !== null && config.ropeScaling !== 'default') return `it uses ${config.ropeScaling} RoPE scaling`;
  if (config.partialRotaryFactor !== 1) return 'it rotates only part of each head';
  if (config.slidingWindow !== null && config.slidingWindow < config.contextLength) return 'it attends within a sliding window';
  if (config.headDim % 2 !== 0) return 'its head size is odd';
  return null;
}

/** What in a graph's nodes and declared inputs and outputs keeps the fused rewrite from reproducing it, or null. */
function graphBlocker(nodes: readonly NodeProto[], inputs: readonly ValueInfoProto[], outputs: readonly ValueInfoProto[]): string | null {
  if (nodes.some((n) => n.op_type === 'If' || n.op_type === 'Loop')) return 'the graph branches (a merged decoder)';
  const fusedAttention = nodes.find((n) => FUSED_ATTENTION_OPS.has(n.op_type));
  if (fusedAttention) return `its attention already runs on onnxruntime's ${fusedAttention.op_type} kernel`;
  const pastKey = inputs.find((info) => info.name === 'past_key_values.0.key');
  if (!pastKey) return 'its cache is not named past_key_values.N.key/value';
  if (elemType(pastKey) !== DataType.FLOAT) return 'its KV cache is not float32';
  if (elemType(outputs.find((info) => info.name === 'logits')) !== DataType.FLOAT) return 'its logits are not float32';
  return null;
}

/**
 * Why no rewrite of this export can run, read from its config and graph summary without loading it: neither the
 * fused graph (see `configBlocker`) nor, for an export already on GroupQueryAttention, the appending one. Null when
 * one may (building it can still find the graph is not one it reproduces).
 */
export function rewriteBlocker(file: string, config: DecoderConfig): string | null {
  const summary = readGraphSummary(file);
  const blocker = configBlocker(config) ?? (modelFileBytes(file) > MAX_SOURCE_BYTES ? TOO_LARGE : null) ?? graphBlocker(summary.nodes, summary.inputs, summary.outputs);
  if (blocker === null) return null;
  return summary.nodes.some((n) => n.op_type === 'GroupQueryAttention') ? null : blocker;
}

/**
 * The decoder export rewritten onto onnxruntime's fused kernels (see `buildFusedDecoder`), in memory, with
 * whole present outputs as the export has them. Throws `UnfusableGraph` saying why when the model or its
 * graph is not one the rewrite reproduces.
 */
export function fusedDecoderModel(file: string, config: DecoderConfig): { model: ModelProto; sourceNodes: number } {
  const blocker = configBlocker(config) ?? (modelFileBytes(file) > MAX_SOURCE_BYTES ? TOO_LARGE : null);
  if (blocker) throw new UnfusableGraph(blocker);
  const source = readModel(file);
  const { graph } = source;
  const graphReason = graphBlocker(graph.node, graph.input, graph.output);
  if (graphReason) throw new UnfusableGraph(graphReason);
  const layers = graph.input.filter((info) => /^past_key_values\.\d+\.key$/.test(info.name)).length;
  const shape: DecoderShape = {
    layers,
    hiddenSize: config.hiddenSize,
    heads: config.numHeads,
    kvHeads: config.numKvHeads,
    headDim: config.headDim,
    vocabSize: config.vocabSize,
  };
  const anatomy = readDecoderAnatomy(graph, shape);
  const declared = config.hiddenAct === null ? anatomy.gateActivation : CONFIG_ACTIVATIONS[config.hiddenAct];
  if (declared !== anatomy.gateActivation) throw new UnfusableGraph(`config.json names ${config.hiddenAct} but the graph gates its MLP with ${anatomy.gateActivation}`);
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
  if (inlineBytes(fused) > MAX_REWRITE_BYTES) throw new UnfusableGraph(TOO_LARGE);
  return { model: fused, sourceNodes: graph.node.length };
}

/** The fused rewrite of a decoder export, returning only the positions each step adds to its cache. */
export function fuseDecoderGraph(file: string, config: DecoderConfig): { bytes: Uint8Array; graph: DecoderGraph } {
  const { model, sourceNodes } = fusedDecoderModel(file, config);
  const appending = withAddedPositionsOnly(model);
  if (!appending) throw new UnfusableGraph('the fused graph has a cache that GroupQueryAttention does not hold');
  return { bytes: encodeModel(appending), graph: { kind: 'fused', nodes: appending.graph.node.length, sourceNodes } };
}

/**
 * An export already on GroupQueryAttention (ONNX Runtime GenAI's layout) returning only the positions each step
 * adds, its weights left where they are; null when its cache is not GroupQueryAttention's alone. `reason` says
 * why it was not fused.
 */
export function appendingExport(file: string, reason: string): { bytes: Uint8Array; graph: DecoderGraph } | null {
  const appending = withAddedPositionsOnly(readModel(file));
  return appending ? { bytes: encodeModel(appending), graph: { kind: 'appending', reason } } : null;
}
