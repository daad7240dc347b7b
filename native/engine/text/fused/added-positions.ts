import { attributeInt, DataType, node, tensorValueInfo, type ModelProto, type NodeProto, type TensorProto } from '../../onnx/onnx-model';

/**
 * Why a decoder on GroupQueryAttention returns only the positions a step adds: onnxruntime-node copies every
 * output into a fresh buffer, and a whole present cache per layer per step costs more than the step's own work
 * at long contexts. GroupQueryAttention reads as much of its past as seqlens_k says, so the caller's cache can
 * keep room beyond its filled positions and take each step's new ones in place.
 */
const ADDED = 'added_positions';

/** The cache inputs a GroupQueryAttention node reads (3, 4) and the present outputs it writes (1, 2). */
interface AttentionCache {
  attention: NodeProto;
  presentKey: string;
  presentValue: string;
}

function attentionCaches(model: ModelProto): AttentionCache[] | null {
  const { graph } = model;
  const inputs = new Set(graph.input.map((info) => info.name));
  const outputs = new Set(graph.output.map((info) => info.name));
  const attentions = graph.node.filter((n) => n.op_type === 'GroupQueryAttention' && inputs.has(n.input[3] ?? ''));
  const pastInputs = new Set(attentions.flatMap((n) => [n.input[3]!, n.input[4] ?? '']));
  const caches: AttentionCache[] = [];
  for (const attention of attentions) {
    const [, presentKey, presentValue] = attention.output;
    if (!presentKey || !presentValue || !outputs.has(presentKey) || !outputs.has(presentValue)) return null;
    caches.push({ attention, presentKey, presentValue });
  }
  // Any other reader of a past input (a Concat of a hand-written attention) needs the whole cache as it is.
  const otherReaders = graph.node.some((n) => !attentions.includes(n) && n.input.some((name) => pastInputs.has(name)));
  return caches.length > 0 && !otherReaders ? caches : null;
}

/**
 * The decoder with each present output of its GroupQueryAttention nodes cut to the positions the step added,
 * [total − sequence, total) along the position axis, under the same names; null when some cache is read or
 * written by anything else, so that the whole cache is needed.
 */
export function withAddedPositionsOnly(model: ModelProto): ModelProto | null {
  const caches = attentionCaches(model);
  if (!caches) return null;
  const total = caches[0]!.attention.input[6];
  if (!total) return null;
  const int64 = (name: string, values: number[]): TensorProto => ({ name: `${ADDED}/${name}`, dims: [values.length], data_type: DataType.INT64, int64_data: values });
  const initializers = [int64('one_dim', [1]), int64('sequence_axis', [1]), int64('position_axis', [2])];
  const [from, to] = [`${ADDED}/from`, `${ADDED}/to`];
  const nodes: NodeProto[] = [
    node('Cast', [total], [`${ADDED}/total`], [attributeInt('to', DataType.INT64)]),
    node('Reshape', [`${ADDED}/total`, `${ADDED}/one_dim`], [to]),
    node('Shape', ['input_ids'], [`${ADDED}/input_shape`]),
    node('Gather', [`${ADDED}/input_shape`, `${ADDED}/sequence_axis`], [`${ADDED}/sequence_length`]),
    node('Sub', [to, `${ADDED}/sequence_length`], [from]),
  ];
  const renamed = new Map<NodeProto, NodeProto>();
  caches.forEach(({ attention, presentKey, presentValue }, i) => {
    const whole = [`${ADDED}/${i}/key`, `${ADDED}/${i}/value`];
    renamed.set(attention, { ...attention, output: [attention.output[0]!, ...whole] });
    nodes.push(node('Slice', [whole[0]!, from, to, `${ADDED}/position_axis`], [presentKey]), node('Slice', [whole[1]!, from, to, `${ADDED}/position_axis`], [presentValue]));
  });
  const added = (name: string) => caches.some((c) => c.presentKey === name || c.presentValue === name);
  const { graph } = model;
  return {
    ...model,
    graph: {
      ...graph,
      node: [...graph.node.map((n) => renamed.get(n) ?? n), ...nodes],
      initializer: [...graph.initializer, ...initializers],
      output: graph.output.map((info) => {
        if (!added(info.name)) return info;
        const dims = info.type?.tensor_type?.shape?.dim ?? [];
        const dim = (i: number) => (dims[i]?.dim_value !== undefined ? Number(dims[i]!.dim_value) : (dims[i]?.dim_param ?? `${info.name}_${i}`));
        return tensorValueInfo(info.name, info.type?.tensor_type?.elem_type ?? DataType.FLOAT, [dim(0), dim(1), 'added_positions', dim(3)]);
      }),
    },
  };
}
