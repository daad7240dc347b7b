// The only module that imports onnxruntime-node: sessions, tensors and the backends it was built with.
import { createRequire } from 'node:module';
import os from 'node:os';
import * as ort from 'onnxruntime-node';

export type Tensor = ort.Tensor;
export type TensorMap = Record<string, ort.Tensor>;
export type OrtSession = ort.InferenceSession;
export type OrtSessionOptions = ort.InferenceSession.SessionOptions;
export type OrtExecutionProvider = NonNullable<OrtSessionOptions['executionProviders']>[number];

export function int64Tensor(values: BigInt64Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('int64', values, dims);
}

export function int32Tensor(values: Int32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('int32', values, dims);
}

export function float32Tensor(values: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', values, dims);
}

export function boolTensor(values: boolean[], dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('bool', Uint8Array.from(values, Number), dims);
}

export function float16Tensor(bits: Uint16Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float16', bits, dims);
}

export function emptyTensor(type: 'float32' | 'float16', dims: readonly number[]): ort.Tensor {
  return type === 'float32' ? new ort.Tensor('float32', new Float32Array(0), dims) : new ort.Tensor('float16', new Uint16Array(0), dims);
}

/** Backend names onnxruntime-node was built with, and whether their libraries ship in the package. */
export function supportedBackends(): { name: string; bundled: boolean }[] {
  return ort.listSupportedBackends();
}

export function defaultThreadCount(): number {
  return Math.max(1, os.availableParallelism());
}

export async function createSession(model: string | Uint8Array, options: OrtSessionOptions): Promise<OrtSession> {
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

export function onnxRuntimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common ?? 'unknown';
}

/** Where onnxruntime-node's entry lies, for a child process that must load it on its own (provider probes). */
export function onnxRuntimeEntry(): string {
  return createRequire(import.meta.url).resolve('onnxruntime-node');
}
