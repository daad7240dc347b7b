import { DataType, type GraphProto, type NodeProto, type TensorProto } from '../../onnx/onnx-model';

/** Who produces and who consumes each tensor of a graph, and which tensors are constants. */
export class GraphIndex {
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly initializers = new Map<string, TensorProto>();
  private readonly constantMemo = new Map<string, boolean>();

  constructor(readonly graph: GraphProto) {
    for (const tensor of graph.initializer) this.initializers.set(tensor.name, tensor);
    for (const n of graph.node) {
      for (const output of n.output) this.producer.set(output, n);
      for (const input of n.input) {
        if (!input) continue;
        const list = this.consumers.get(input) ?? [];
        list.push(n);
        this.consumers.set(input, list);
      }
    }
  }

  /** A tensor computed from initializers alone (a weight, possibly dequantised or transposed in-graph). */
  isConstant(name: string): boolean {
    if (!name) return true;
    const known = this.constantMemo.get(name);
    if (known !== undefined) return known;
    let constant = this.initializers.has(name);
    if (!constant) {
      const source = this.producer.get(name);
      constant = source !== undefined && source.input.every((input) => this.isConstant(input));
    }
    this.constantMemo.set(name, constant);
    return constant;
  }

  /**
   * The nodes and initializers that compute `name` from constants and the graph inputs in `inputs`, in an
   * order that can be replayed; throws naming any other graph input the computation needs.
   */
  closure(name: string, nodes: NodeProto[], initializers: Map<string, TensorProto>, inputs: ReadonlySet<string> = new Set(), seen = new Set<string>()): void {
    if (!name || seen.has(name) || inputs.has(name)) return;
    seen.add(name);
    const tensor = this.initializers.get(name);
    if (tensor) {
      initializers.set(name, tensor);
      return;
    }
    const source = this.producer.get(name);
    if (!source) throw new Error(`it needs the graph input ${name}`);
    for (const input of source.input) this.closure(input, nodes, initializers, inputs, seen);
    if (!nodes.includes(source)) nodes.push(source);
  }

  /** The value of a float32 constant with one element (an initializer or a Constant node), else null. */
  scalarValue(name: string): number | null {
    const tensor = this.initializers.get(name) ?? this.producer.get(name)?.attribute.find((a) => a.name === 'value' && this.producer.get(name)!.op_type === 'Constant')?.t;
    if (!tensor || tensor.data_type !== DataType.FLOAT || tensor.dims.reduce((n, d) => n * d, 1) !== 1) return null;
    if (tensor.float_data?.length) return tensor.float_data[0]!;
    const raw = tensor.raw_data;
    return raw && raw.byteLength >= 4 ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getFloat32(0, true) : null;
  }

  consumersOf(name: string): NodeProto[] {
    return this.consumers.get(name) ?? [];
  }

  /** Dims of a constant that is an initializer, or the dequantised / cast form of one. */
  constantDims(name: string): number[] | null {
    const tensor = this.initializers.get(name);
    if (tensor) return tensor.dims;
    const source = this.producer.get(name);
    if (source && ['DequantizeLinear', 'Cast', 'Identity'].includes(source.op_type)) return this.constantDims(source.input[0]!);
    if (source?.op_type === 'Constant') return source.attribute.find((a) => a.name === 'value')?.t?.dims ?? null;
    return null;
  }

  /** Breadth-first walk downstream of `start`, not entering nodes for which `stop` holds. */
  reachableOutputs(start: string, stop: (n: NodeProto) => boolean): Set<string> {
    const seen = new Set<string>([start]);
    const queue = [start];
    while (queue.length > 0) {
      for (const next of this.consumersOf(queue.shift()!)) {
        if (stop(next)) continue;
        for (const output of next.output) {
          if (!seen.has(output)) {
            seen.add(output);
            queue.push(output);
          }
        }
      }
    }
    return seen;
  }
}
