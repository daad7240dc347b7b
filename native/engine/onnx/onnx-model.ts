// Reads and writes ONNX model files (protobuf) for graph rewriting, with protobufjs and ONNX's own schema.
import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs/light.js';
import { ONNX_PROTO_DESCRIPTOR } from './onnx-proto';

/** TensorProto.DataType values the engine writes or checks. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10 } as const;

export interface StringEntry {
  key: string;
  value: string;
}

export interface TensorProto {
  name: string;
  dims: number[];
  data_type: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  data_location?: number;
  external_data?: StringEntry[];
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
}

export interface NodeProto {
  name?: string;
  op_type: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: AttributeProto[];
}

export interface Dimension {
  dim_value?: number;
  dim_param?: string;
}

export interface ValueInfoProto {
  name: string;
  type?: { tensor_type?: { elem_type: number; shape?: { dim: Dimension[] } } };
}

export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  value_info?: ValueInfoProto[];
}

export interface ModelProto {
  ir_version: number;
  opset_import: { domain: string; version: number }[];
  producer_name?: string;
  graph: GraphProto;
}

const ModelType = protobuf.Root.fromJSON(ONNX_PROTO_DESCRIPTOR).lookupType('onnx.ModelProto');
const EXTERNAL = 1;

export function decodeModel(bytes: Uint8Array): ModelProto {
  return ModelType.toObject(ModelType.decode(bytes), { longs: Number, arrays: true, defaults: false }) as ModelProto;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return ModelType.encode(ModelType.fromObject(model)).finish();
}

export function readModel(file: string): ModelProto {
  return decodeModel(fs.readFileSync(file));
}

/**
 * Moves an initializer's external data (`*.onnx_data`) into the tensor itself, so the model can be
 * rewritten and opened from memory. The data file must lie inside the model's folder.
 */
export function inlineExternalData(tensor: TensorProto, modelDir: string): TensorProto {
  if (tensor.data_location !== EXTERNAL) return tensor;
  const entry = (key: string) => tensor.external_data?.find((item) => item.key === key)?.value;
  const location = entry('location');
  if (!location) throw new Error(`initializer ${tensor.name} has external data without a location`);
  const file = path.resolve(modelDir, location);
  if (path.relative(modelDir, file).startsWith('..')) throw new Error(`initializer ${tensor.name} points outside its model folder`);
  const offset = Number(entry('offset') ?? 0);
  const length = entry('length');
  const handle = fs.openSync(file, 'r');
  try {
    const size = length === undefined ? fs.fstatSync(handle).size - offset : Number(length);
    const raw = Buffer.alloc(size);
    fs.readSync(handle, raw, 0, size, offset);
    return { name: tensor.name, dims: tensor.dims, data_type: tensor.data_type, raw_data: raw };
  } finally {
    fs.closeSync(handle);
  }
}

export function tensorFromFloats(name: string, dims: number[], values: Float32Array): TensorProto {
  return { name, dims, data_type: DataType.FLOAT, raw_data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

export function attributeInt(name: string, value: number): AttributeProto {
  return { name, type: 2, i: value };
}

export function attributeFloat(name: string, value: number): AttributeProto {
  return { name, type: 1, f: value };
}

export function node(opType: string, inputs: string[], outputs: string[], attributes: AttributeProto[] = [], domain = ''): NodeProto {
  return { op_type: opType, domain, input: inputs, output: outputs, attribute: attributes };
}

export function tensorValueInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}

export function elemType(info: ValueInfoProto | undefined): number | null {
  return info?.type?.tensor_type?.elem_type ?? null;
}
