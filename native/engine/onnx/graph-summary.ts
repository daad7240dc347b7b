// Reads what an ONNX file declares (inputs, outputs, operators, weight types, external data) without
// loading its weights: the protobuf is walked field by field and tensor payloads are skipped by offset.
import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs/light.js';
import { ONNX_PROTO_DESCRIPTOR } from './onnx-proto';
import type { AttributeProto, NodeProto, StringEntry, ValueInfoProto } from './onnx-model';

const root = protobuf.Root.fromJSON(ONNX_PROTO_DESCRIPTOR);
const ValueInfoType = root.lookupType('onnx.ValueInfoProto');
const NodeType = root.lookupType('onnx.NodeProto');
const EntryType = root.lookupType('onnx.StringStringEntryProto');

/** One initializer as declared: its type, shape and where its bytes live. */
export interface InitializerHeader {
  name: string;
  dataType: number;
  dims: number[];
  externalLocation: string | null;
  /** The end of its bytes in the external file (offset + length), when declared. */
  externalEnd: number | null;
}

export interface GraphSummary {
  readonly inputs: readonly ValueInfoProto[];
  readonly outputs: readonly ValueInfoProto[];
  readonly nodes: readonly NodeProto[];
  readonly initializers: readonly InitializerHeader[];
}

/** The file is not an ONNX model: protobuf that does not parse, or a graph with nothing in it. */
export class NotAnOnnxGraph extends Error {}

const CHUNK = 64 * 1024;
const JUMP_CHUNK = 4 * 1024;

/** Random access to a file's bytes through a small window, so skipping a 100 MB tensor reads nothing. */
class FileBytes {
  private window = Buffer.alloc(0);
  private windowStart = 0;

  private constructor(
    private readonly handle: number,
    readonly size: number,
  ) {}

  static open(file: string): FileBytes {
    const handle = fs.openSync(file, 'r');
    return new FileBytes(handle, fs.fstatSync(handle).size);
  }

  byte(position: number): number {
    if (position < this.windowStart || position >= this.windowStart + this.window.length) {
      // Reading on from the window's end is a walk through nodes; anywhere else, a jump past a tensor's payload
      // to the next header, which needs a few bytes, not a whole window.
      this.fill(position, position === this.windowStart + this.window.length ? CHUNK : JUMP_CHUNK);
    }
    if (position >= this.size) throw new NotAnOnnxGraph('it ends in the middle of a field');
    return this.window[position - this.windowStart]!;
  }

  slice(start: number, length: number): Uint8Array {
    if (start + length > this.size) throw new NotAnOnnxGraph('a field runs past the end of the file');
    // A field inside the window (most nodes and value infos) costs no read; the window is never written to.
    if (start >= this.windowStart && start + length <= this.windowStart + this.window.length) return this.window.subarray(start - this.windowStart, start - this.windowStart + length);
    const bytes = Buffer.allocUnsafe(length);
    fs.readSync(this.handle, bytes, 0, length, start);
    return bytes;
  }

  private fill(position: number, length: number): void {
    this.window = Buffer.allocUnsafe(Math.min(length, Math.max(0, this.size - position)));
    this.windowStart = position;
    fs.readSync(this.handle, this.window, 0, this.window.length, position);
  }

  close(): void {
    fs.closeSync(this.handle);
  }
}

interface Field {
  number: number;
  wire: number;
  /** A varint field's value, or a length-delimited field's payload length. */
  value: number;
  /** Where a length-delimited payload starts. */
  start: number;
}

function varint(bytes: FileBytes, position: number): { value: number; next: number } {
  let value = 0;
  for (let shift = 0, at = position; shift < 64; shift += 7, at++) {
    const byte = bytes.byte(at);
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return { value, next: at + 1 };
  }
  throw new NotAnOnnxGraph('a varint runs over 10 bytes');
}

/** Every field of the message in [start, end), its payload not read. */
function* fields(bytes: FileBytes, start: number, end: number): Generator<Field> {
  let position = start;
  while (position < end) {
    const tag = varint(bytes, position);
    const [number, wire] = [Math.floor(tag.value / 8), tag.value % 8];
    if (number === 0) throw new NotAnOnnxGraph('a field has number 0');
    if (wire === 0) {
      const field = varint(bytes, tag.next);
      yield { number, wire, value: field.value, start: tag.next };
      position = field.next;
    } else if (wire === 2) {
      const length = varint(bytes, tag.next);
      if (length.next + length.value > end) throw new NotAnOnnxGraph('a field runs past the end of its message');
      yield { number, wire, value: length.value, start: length.next };
      position = length.next + length.value;
    } else if (wire === 1 || wire === 5) {
      position = tag.next + (wire === 1 ? 8 : 4);
    } else {
      throw new NotAnOnnxGraph(`a field has wire type ${wire}, which ONNX does not use`);
    }
  }
  if (position !== end) throw new NotAnOnnxGraph('a message runs past its end');
}

function decodeMessage<T>(bytes: Uint8Array, type: protobuf.Type): T {
  return type.toObject(type.decode(bytes), { longs: Number, arrays: true, defaults: false }) as T;
}

function decodeField<T>(bytes: FileBytes, field: Field, type: protobuf.Type): T {
  return decodeMessage<T>(bytes.slice(field.start, field.value), type);
}

function packedOrSingleInts(bytes: FileBytes, field: Field, into: number[]): void {
  if (field.wire === 0) {
    into.push(field.value);
    return;
  }
  for (let at = field.start; at < field.start + field.value; ) {
    const next = varint(bytes, at);
    into.push(next.value);
    at = next.next;
  }
}

// TensorProto field numbers.
const TENSOR = { dims: 1, dataType: 2, name: 8, externalData: 13 } as const;

function initializerHeader(bytes: FileBytes, field: Field): InitializerHeader {
  const header: InitializerHeader = { name: '', dataType: 0, dims: [], externalLocation: null, externalEnd: null };
  const external: StringEntry[] = [];
  for (const inner of fields(bytes, field.start, field.start + field.value)) {
    if (inner.number === TENSOR.dims) packedOrSingleInts(bytes, inner, header.dims);
    else if (inner.number === TENSOR.dataType) header.dataType = inner.value;
    else if (inner.number === TENSOR.name) header.name = Buffer.from(bytes.slice(inner.start, inner.value)).toString('utf8');
    else if (inner.number === TENSOR.externalData) external.push(decodeField<StringEntry>(bytes, inner, EntryType));
  }
  const entry = (key: string) => external.find((item) => item.key === key)?.value;
  header.externalLocation = entry('location') ?? null;
  const length = entry('length');
  if (length !== undefined) header.externalEnd = Number(entry('offset') ?? 0) + Number(length);
  return header;
}

// ModelProto.graph, and GraphProto's node, initializer, input and output.
const MODEL_GRAPH = 7;
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12 } as const;

/** A graph's declarations; its nodes are decoded when first asked for (reading data files or sizes needs none of them). */
class LazyGraphSummary implements GraphSummary {
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  readonly initializers: InitializerHeader[] = [];
  readonly nodeBytes: Uint8Array[] = [];
  private decoded: NodeProto[] | null = null;

  /** Throws `NotAnOnnxGraph` when a node does not decode. */
  get nodes(): readonly NodeProto[] {
    try {
      this.decoded ??= this.nodeBytes.map((bytes) => decodeMessage<NodeProto>(bytes, NodeType));
    } catch (error) {
      throw new NotAnOnnxGraph(String((error as Error).message));
    }
    return this.decoded;
  }
}

function graphSummary(bytes: FileBytes, graph: Field): GraphSummary {
  const summary = new LazyGraphSummary();
  for (const field of fields(bytes, graph.start, graph.start + graph.value)) {
    if (field.wire !== 2) continue;
    if (field.number === GRAPH.node) summary.nodeBytes.push(bytes.slice(field.start, field.value));
    else if (field.number === GRAPH.initializer) summary.initializers.push(initializerHeader(bytes, field));
    else if (field.number === GRAPH.input) summary.inputs.push(decodeField<ValueInfoProto>(bytes, field, ValueInfoType));
    else if (field.number === GRAPH.output) summary.outputs.push(decodeField<ValueInfoProto>(bytes, field, ValueInfoType));
  }
  if (summary.nodeBytes.length === 0 || summary.inputs.length === 0 || summary.outputs.length === 0) throw new NotAnOnnxGraph('its graph has no nodes, inputs or outputs');
  return summary;
}

/** The last few summaries read, by file version: one load asks about its graph from several places. */
const recentSummaries = new Map<string, GraphSummary>();
const RECENT_SUMMARIES = 8;

/**
 * What an ONNX file declares, read once per version of the file (path, inode, size, change times) while it
 * stays among the last few asked for; throws `NotAnOnnxGraph` when it is not one. Callers share the result.
 */
export function readGraphSummary(file: string): GraphSummary {
  const stat = fs.statSync(file);
  const key = `${path.resolve(file)}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
  let summary = recentSummaries.get(key);
  if (!summary) {
    summary = readSummary(file);
    if (recentSummaries.size >= RECENT_SUMMARIES) recentSummaries.delete(recentSummaries.keys().next().value!);
  }
  recentSummaries.delete(key);
  recentSummaries.set(key, summary);
  return summary;
}

function readSummary(file: string): GraphSummary {
  const bytes = FileBytes.open(file);
  try {
    let graph: Field | null = null;
    for (const field of fields(bytes, 0, bytes.size)) if (field.number === MODEL_GRAPH && field.wire === 2) graph = field;
    if (!graph) throw new NotAnOnnxGraph('it holds no graph');
    return graphSummary(bytes, graph);
  } catch (error) {
    if (error instanceof NotAnOnnxGraph) throw error;
    throw new NotAnOnnxGraph(String((error as Error).message));
  } finally {
    bytes.close();
  }
}

/** The external data files a graph's initializers name (any names: torch writes one file per tensor), as paths beside the graph file. */
export function externalDataFiles(file: string): string[] {
  const locations = new Set(readGraphSummary(file).initializers.flatMap((tensor) => (tensor.externalLocation ? [tensor.externalLocation] : [])));
  return [...locations].sort().map((location) => path.resolve(path.dirname(file), location));
}

export function attribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((item) => item.name === name);
}
