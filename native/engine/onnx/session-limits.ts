import fs from 'node:fs';
import { ApiError } from '../../contract';
import { readModel } from './onnx-model';

/** Limits on sessions that the process hosting the engine sets once at start. */
export interface SessionLimits {
  /** onnxruntime's CPU memory arena (one large pooled allocation). */
  cpuMemArena: boolean;
  /** A model whose largest initializer is this many bytes or more is refused before loading; null: no limit. */
  maxInitializerBytes: number | null;
}

/**
 * Under Electron, Chromium's allocator aborts the whole process on a single allocation of 2 GiB or
 * more (onnxruntime #29763): sessions there run without the arena, and a model that needs such a
 * tensor is refused with a sentence instead of a crash.
 */
export const ELECTRON_SESSION_LIMITS: SessionLimits = { cpuMemArena: false, maxInitializerBytes: 2 ** 31 };

let limits: SessionLimits = { cpuMemArena: true, maxInitializerBytes: null };

export function setSessionLimits(next: SessionLimits): void {
  limits = { ...next };
}

export function sessionLimits(): SessionLimits {
  return limits;
}

/** Bytes per element of TensorProto.DataType (strings, 8, have no fixed size and count as 0). */
const ELEMENT_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 8: 0, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2, 21: 0.5, 22: 0.5 };

/**
 * The largest initializer of an ONNX file with its weights in external data, or null for a
 * self-contained file: protobuf caps a whole file below 2 GiB, so only external data can hold a
 * tensor that large, and only then is the (small) graph file worth reading.
 */
export function largestExternalInitializer(file: string, hasExternalData: boolean): { name: string; bytes: number } | null {
  if (!hasExternalData) return null;
  let largest: { name: string; bytes: number } | null = null;
  for (const tensor of readModel(file).graph.initializer) {
    const declared = tensor.external_data?.find((entry) => entry.key === 'length')?.value;
    const bytes = declared !== undefined ? Number(declared) : tensor.dims.reduce((product, dim) => product * Number(dim), 1) * (ELEMENT_BYTES[tensor.data_type] ?? 0);
    if (!largest || bytes > largest.bytes) largest = { name: tensor.name, bytes };
  }
  return largest;
}

/** Throws the refusal when the file's largest initializer is over the process's limit. */
export function checkInitializerLimit(file: string, displayName: string, totalBytes: number): void {
  const limit = limits.maxInitializerBytes;
  if (limit === null) return;
  const largest = largestExternalInitializer(file, totalBytes > fs.statSync(file).size);
  if (!largest || largest.bytes < limit) return;
  const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  throw new ApiError(
    'invalid_model',
    `Model file ${displayName} holds a ${gib(largest.bytes)} tensor (${largest.name}); the desktop app cannot load a single tensor of ${gib(limit)} or more. ` +
      'Run it with `pareto` from a terminal, or use a version of the model with smaller or quantised weights.',
  );
}
