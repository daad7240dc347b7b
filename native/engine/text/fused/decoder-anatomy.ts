import type { GraphProto, NodeProto } from '../../onnx/onnx-model';
import { GraphIndex } from './graph-index';

/** A weight product `input × W (+ bias)`: a MatMul or MatMulNBits whose other inputs are constants. */
export interface Projection {
  node: NodeProto;
  input: string;
  /** The projection's result: the bias Add's output where there is one. */
  output: string;
  bias: { node: NodeProto; constant: string } | null;
  outFeatures: number | null;
}

/** q, k and v as three products, or as one whose columns are [q | k | v] (Phi-3's and the studio's exports). */
export type AttentionProjections = { packed: false; q: Projection; k: Projection; v: Projection } | { packed: true; qkv: Projection };
/** gate and up as two products, or as one whose columns are [gate | up]. */
export type MlpProjections = { packed: false; gate: Projection; up: Projection } | { packed: true; gateUp: Projection };

/** What the gate of a gated MLP goes through: SiLU (Llama, Qwen2, Mistral), GELU's tanh approximation (Gemma) or exact GELU. */
export type GateActivation = 'silu' | 'gelu-tanh' | 'gelu';

export interface LayerAnatomy {
  inputNorm: string;
  attention: AttentionProjections;
  o: Projection;
  postNorm: string;
  mlp: MlpProjections;
  down: Projection;
}

export interface DecoderAnatomy {
  index: GraphIndex;
  /** What q·kᵀ is multiplied by before the softmax (1 where the export folded it into the q weights). */
  attentionScale: number;
  /** The start of the residual stream: the token embeddings, however the export looks them up. */
  embeddings: string;
  layers: LayerAnatomy[];
  gateActivation: GateActivation;
  finalNorm: string;
  lmHead: Projection;
}

export interface DecoderShape {
  layers: number;
  hiddenSize: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
}

/** Why a graph cannot be read as a Llama-style decoder; the engine then runs the graph as it is. */
export class UnfusableGraph extends Error {}

const LINEAR_OPS = new Set(['MatMul', 'MatMulNBits']);

function isLinear(index: GraphIndex, n: NodeProto): boolean {
  return LINEAR_OPS.has(n.op_type) && !index.isConstant(n.input[0]!) && n.input.slice(1).every((input) => index.isConstant(input));
}

function outFeatures(index: GraphIndex, n: NodeProto): number | null {
  if (n.op_type === 'MatMulNBits') return n.attribute.find((a) => a.name === 'N')?.i ?? null;
  const dims = index.constantDims(n.input[1]!);
  return dims && dims.length === 2 ? dims[1]! : null;
}

function projection(index: GraphIndex, n: NodeProto): Projection {
  const consumers = index.consumersOf(n.output[0]!);
  const add = consumers.length === 1 && consumers[0]!.op_type === 'Add' ? consumers[0]! : null;
  const constant = add?.input.find((input) => input !== n.output[0] && index.isConstant(input));
  const bias = add && constant && index.constantDims(constant)?.length === 1 ? { node: add, constant } : null;
  return { node: n, input: n.input[0]!, output: bias ? bias.node.output[0]! : n.output[0]!, bias, outFeatures: outFeatures(index, n) };
}

const RESHAPING_OPS = new Set(['Transpose', 'Reshape', 'Expand', 'Unsqueeze', 'Squeeze', 'Identity']);

/** Product of the scalar factors a chain of reshapes and scalar Mul/Div applies on the way to `name`. */
function chainScale(index: GraphIndex, name: string): { scale: number; start: string } {
  let scale = 1;
  let tensor = name;
  for (let source = index.producer.get(tensor); source; source = index.producer.get(tensor)) {
    const [a, b] = [source.input[0]!, source.input[1] ?? ''];
    if (RESHAPING_OPS.has(source.op_type)) tensor = a;
    else if (source.op_type === 'Mul' && index.scalarValue(b) !== null) [scale, tensor] = [scale * index.scalarValue(b)!, a];
    else if (source.op_type === 'Mul' && index.scalarValue(a) !== null) [scale, tensor] = [scale * index.scalarValue(a)!, b];
    else if (source.op_type === 'Div' && index.scalarValue(b) !== null) [scale, tensor] = [scale / index.scalarValue(b)!, a];
    else break;
  }
  return { scale, start: tensor };
}

/**
 * The attention scale of the first softmax: scalar factors between the scores product and the softmax
 * (past the mask), times those on q and kᵀ just before the product (SDPA-style exports).
 */
function readAttentionScale(index: GraphIndex, graph: GraphProto): number {
  const softmax = graph.node.find((n) => n.op_type === 'Softmax');
  if (!softmax) throw new UnfusableGraph('it has no softmax');
  let { scale, start } = chainScale(index, softmax.input[0]!);
  const masked = index.producer.get(start);
  // the mask is added (Add), or fills the masked places (Where(mask, −∞, scores))
  if (masked?.op_type === 'Add' || masked?.op_type === 'Where') {
    const scores = masked.input.find((input) => ['MatMul', 'Mul', 'Div'].includes(index.producer.get(input)?.op_type ?? ''));
    if (!scores) throw new UnfusableGraph('its attention scores are not a product');
    const inner = chainScale(index, scores);
    [scale, start] = [scale * inner.scale, inner.start];
  }
  const product = index.producer.get(start);
  if (product?.op_type !== 'MatMul' || product.input.some((input) => index.isConstant(input))) {
    throw new UnfusableGraph('its attention scores are not a product of q and k');
  }
  return scale * chainScale(index, product.input[0]!).scale * chainScale(index, product.input[1]!).scale;
}

/** Op types within a few steps upstream of `name`: enough to tell an RMS norm from a layer norm. */
function upstreamOps(index: GraphIndex, name: string, depth: number): Set<string> {
  const ops = new Set<string>();
  let frontier = [name];
  for (let step = 0; step < depth && frontier.length > 0; step++) {
    const next: string[] = [];
    for (const tensor of frontier) {
      const source = index.producer.get(tensor);
      if (!source || index.isConstant(tensor)) continue;
      ops.add(source.op_type);
      next.push(...source.input);
    }
    frontier = next;
  }
  return ops;
}

/** The scale (gamma) of the RMS norm that produces `name`, or null when something else does. */
function rmsNormScale(index: GraphIndex, name: string): string | null {
  const source = index.producer.get(name);
  if (source?.op_type === 'SimplifiedLayerNormalization') return source.input[1]!;
  if (source?.op_type === 'Mul') {
    const scale = source.input.find((input) => index.isConstant(input));
    const other = source.input.find((input) => !index.isConstant(input));
    if (scale && other && index.constantDims(scale)?.length === 1) {
      const ops = upstreamOps(index, other, 6);
      if (ops.has('ReduceMean') && !ops.has('Sub')) return scale;
    }
  }
  return null;
}

function expectFeatures(p: Projection, expected: number, what: string): void {
  if (p.outFeatures !== null && p.outFeatures !== expected) {
    throw new UnfusableGraph(`the ${what} projection has ${p.outFeatures} outputs where the config implies ${expected}`);
  }
}

function reaches(index: GraphIndex, p: Projection, output: string): boolean {
  return index.reachableOutputs(p.output, (n) => isLinear(index, n)).has(output);
}

function readAttention(index: GraphIndex, layer: number, group: Projection[], shape: DecoderShape): AttentionProjections {
  const { heads, kvHeads, headDim } = shape;
  if (group.length === 1) {
    expectFeatures(group[0]!, (heads + 2 * kvHeads) * headDim, 'packed q/k/v');
    return { packed: true, qkv: group[0]! };
  }
  const k = group.find((p) => reaches(index, p, `present.${layer}.key`) && !reaches(index, p, `present.${layer}.value`));
  const v = group.find((p) => reaches(index, p, `present.${layer}.value`) && !reaches(index, p, `present.${layer}.key`));
  const q = group.find((p) => p !== k && p !== v);
  if (group.length !== 3 || !q || !k || !v) throw new UnfusableGraph(`layer ${layer}'s key and value projections do not lead to present.${layer}.key/value`);
  expectFeatures(q, heads * headDim, 'query');
  expectFeatures(k, kvHeads * headDim, 'key');
  expectFeatures(v, kvHeads * headDim, 'value');
  return { packed: false, q, k, v };
}

/** The ops that give each activation away, as exporters write it (decomposed) or as onnxruntime fuses it; the first found wins. */
const ACTIVATION_OPS: [GateActivation, Set<string>][] = [
  ['gelu-tanh', new Set(['Tanh', 'FastGelu'])],
  ['gelu', new Set(['Erf', 'Gelu', 'BiasGelu'])],
  ['silu', new Set(['Sigmoid', 'QuickGelu'])],
];

/** The activation among the few ops downstream of a gate product (past a packed product's split), or null. */
function gateActivation(index: GraphIndex, gate: Projection): GateActivation | null {
  const ops = new Set<string>();
  let frontier = [gate.output];
  for (let step = 0; step < 5; step++) {
    const consumers = frontier.flatMap((tensor) => index.consumersOf(tensor));
    for (const n of consumers) ops.add(n.op_type);
    frontier = consumers.flatMap((n) => n.output);
  }
  return ACTIVATION_OPS.find(([, marks]) => [...marks].some((op) => ops.has(op)))?.[0] ?? null;
}

function readMlp(index: GraphIndex, layer: number, group: Projection[]): MlpProjections {
  if (group.length === 1) return { packed: true, gateUp: group[0]! };
  // up goes straight into the product with the activated gate; the gate feeds its activation first
  const up = group.find((p) => {
    const consumers = index.consumersOf(p.output);
    return consumers.length === 1 && consumers[0]!.op_type === 'Mul';
  });
  const gate = group.find((p) => p !== up);
  if (group.length !== 2 || !gate || !up) throw new UnfusableGraph(`layer ${layer}'s MLP is not a gated product`);
  return { packed: false, gate, up };
}

/**
 * Reads a Llama-style decoder out of an exported graph by its data flow, not by node names (which
 * exporters do not keep). The weight products fed by RMS norms are, in order, each layer's attention
 * projections and its MLP's; after each of those groups, the next product back to the hidden size is the
 * attention output (resp. MLP down) projection. Separate k and v are the products whose data reaches
 * `present.L.key` / `present.L.value`; packed ones follow the [q | k | v] and [gate | up] convention,
 * which the probe run against the export then confirms. The gate's activation is told by the ops just after it.
 */
export function readDecoderAnatomy(graph: GraphProto, shape: DecoderShape): DecoderAnatomy {
  const index = new GraphIndex(graph);
  const order = new Map(graph.node.map((n, i) => [n, i]));
  const linears = graph.node.filter((n) => isLinear(index, n)).map((n) => projection(index, n));
  const lmHead = linears.find((p) => p.output === 'logits');
  if (!lmHead) throw new UnfusableGraph('logits do not come straight from a weight product');
  expectFeatures(lmHead, shape.vocabSize, 'LM head');
  const finalNorm = rmsNormScale(index, lmHead.input);
  if (!finalNorm) throw new UnfusableGraph('the final norm is not an RMS norm');

  const normFed = new Map<string, Projection[]>();
  for (const p of linears) if (p !== lmHead && rmsNormScale(index, p.input)) normFed.set(p.input, [...(normFed.get(p.input) ?? []), p]);
  const groups = [...normFed.values()];
  if (groups.length !== 2 * shape.layers) throw new UnfusableGraph(`it has ${groups.length} normed projection groups where ${shape.layers} layers need ${2 * shape.layers}`);
  /** The first product after `group` that maps back to the hidden size and is not itself fed by a norm. */
  const outputProjection = (group: Projection[], what: string) => {
    const after = Math.max(...group.map((p) => order.get(p.node)!));
    const found = linears.find((p) => order.get(p.node)! > after && p !== lmHead && !normFed.has(p.input) && (p.outFeatures ?? shape.hiddenSize) === shape.hiddenSize);
    if (!found) throw new UnfusableGraph(`no ${what} projection follows`);
    return found;
  };

  const activations = new Set<GateActivation>();
  const layers = Array.from({ length: shape.layers }, (_, layer): LayerAnatomy => {
    const [attention, products] = [groups[2 * layer]!, groups[2 * layer + 1]!];
    const mlp = readMlp(index, layer, products);
    const activation = gateActivation(index, mlp.packed ? mlp.gateUp : mlp.gate);
    if (!activation) throw new UnfusableGraph(`layer ${layer}'s MLP is not gated by SiLU or GELU`);
    activations.add(activation);
    return {
      inputNorm: rmsNormScale(index, attention[0]!.input)!,
      attention: readAttention(index, layer, attention, shape),
      o: outputProjection(attention, `layer ${layer} attention output`),
      postNorm: rmsNormScale(index, products[0]!.input)!,
      mlp,
      down: outputProjection(products, `layer ${layer} MLP down`),
    };
  });
  if (activations.size > 1) throw new UnfusableGraph(`its layers gate their MLPs with different activations (${[...activations].join(', ')})`);
  const firstResidual = index.consumersOf(layers[0]!.o.output).find((n) => n.op_type === 'Add');
  const embeddings = firstResidual?.input.find((input) => input !== layers[0]!.o.output);
  if (!embeddings) throw new UnfusableGraph('layer 0 adds its attention to no residual stream');
  try {
    index.closure(embeddings, [], new Map(), new Set(['input_ids']));
  } catch {
    throw new UnfusableGraph('its embeddings depend on more than input_ids');
  }
  return { index, attentionScale: readAttentionScale(index, graph), embeddings, layers, gateActivation: [...activations][0]!, finalNorm, lmHead };
}
