import fs from 'node:fs';
import path from 'node:path';
import { ApiError, type ExecutionProvider } from '../../contract';
import { floatArrayToHalf, halfArrayToFloat } from '../onnx/float16';
import { NotAnOnnxGraph, readGraphSummary, type GraphSummary } from '../onnx/graph-summary';
import { modelFileBytes, openSession, type SessionTuning } from '../onnx/open-session';
import { needsSerialRuns } from '../onnx/providers';
import { float16Tensor, float32Tensor, int32Tensor, int64Tensor, type OrtSession, type Tensor, type TensorMap } from '../onnx/runtime';
import { weightOnlyDequantizedBytes, weightPrecision } from '../onnx/weight-precision';

/**
 * A graph quantised in its weights only (the recipe's `unet/model_int8.onnx`) is dequantised once when its session
 * starts, where its float32 weights take at most this: measured on the 1.4M-parameter Emoji v2 student UNet (2 cores,
 * one thread), 2.67 ms per call with a DequantizeLinear per weight at every run against 2.00 ms folded, the same as fp32.
 * Larger graphs keep dequantising per run, so that int8 still saves their memory.
 */
const MAX_FOLDED_WEIGHT_BYTES = 512 * 1024 ** 2;

/** The float32 bytes a file's weight-only int8 weights take once folded at load, or null where they stay int8. */
function foldedWeightBytes(summary: GraphSummary): number | null {
  const bytes = weightOnlyDequantizedBytes(summary);
  return bytes !== null && bytes <= MAX_FOLDED_WEIGHT_BYTES ? bytes : null;
}

/** A file's graph summary, or null for a file onnxruntime will refuse with its own words. */
function summaryOf(file: string): GraphSummary | null {
  try {
    return readGraphSummary(file);
  } catch (error) {
    if (error instanceof NotAnOnnxGraph) return null;
    throw error;
  }
}

function foldsWeightDequantize(file: string): boolean {
  const summary = summaryOf(file);
  return summary !== null && foldedWeightBytes(summary) !== null;
}

/**
 * What a session's weights hold once open, for the session pool's budget: the file's bytes, or more where the
 * weights are widened at load — folded int8 weights become float32 (4× their bytes, the int8 copy counted too, as
 * an upper bound), and fp16 weights cast to float32 are constant-folded by onnxruntime (2×).
 */
export function loadedWeightBytes(file: string): number {
  const onDisk = modelFileBytes(file);
  const summary = summaryOf(file);
  if (summary === null) return onDisk;
  const folded = foldedWeightBytes(summary);
  if (folded !== null) return onDisk + folded;
  return weightPrecision(summary) === 'fp16' ? 2 * onDisk : onDisk;
}

/** A graph input as the file declares it: element type and dims (numbers fixed, strings symbolic). */
export interface GraphInput {
  name: string;
  type: string;
  shape: readonly (number | string)[];
}

/** One ONNX component of a diffusion pipeline (text encoder, UNet, VAE decoder) with what its graph declares. */
export class GraphSession {
  private lastRun: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly session: OrtSession,
    /** The file relative to its model folder, for error messages. */
    readonly displayName: string,
    readonly ep: ExecutionProvider,
    readonly fallbackReason: string | null,
    /** The intra-op threads its session runs with. */
    readonly threads: number,
    /** Whether its weight-only int8 weights were dequantised once at load (see MAX_FOLDED_WEIGHT_BYTES). */
    readonly foldedWeightDequantize: boolean,
  ) {}

  static async open(file: string, modelDir: string, ep: ExecutionProvider, tuning: SessionTuning = {}): Promise<GraphSession> {
    const displayName = path.relative(modelDir, file).split(path.sep).join('/');
    const foldWeightDequantize = fs.existsSync(file) && foldsWeightDequantize(file);
    const opened = await openSession(file, { ep, displayName, ...tuning, foldWeightDequantize });
    return new GraphSession(opened.session, displayName, opened.ep, opened.fallbackReason, opened.threads, foldWeightDequantize);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  input(name: string): GraphInput | null {
    const meta = this.session.inputMetadata.find((entry) => entry.name === name);
    if (!meta) return null;
    return meta.isTensor ? { name, type: meta.type, shape: meta.shape } : { name, type: 'unknown', shape: [] };
  }

  /** The input, or an error naming the file and what it has instead. */
  requireInput(name: string, role: string): GraphInput {
    const input = this.input(name);
    if (!input) {
      throw new ApiError('invalid_model', `${this.displayName} is not ${role}: it has no '${name}' input (its inputs are ${this.inputNames.join(', ')}).`);
    }
    return input;
  }

  /** The named output, else the graph's only/first output. */
  outputName(preferred: string): string {
    return this.outputNames.includes(preferred) ? preferred : this.outputNames[0]!;
  }

  async run(feeds: TensorMap): Promise<TensorMap> {
    if (!needsSerialRuns(this.ep)) return this.session.run(feeds);
    const running = this.lastRun.then(() => this.session.run(feeds));
    this.lastRun = running.catch(() => undefined);
    return running;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** A float tensor of the type a graph input declares (float16 inputs take half-precision bits). */
export function floatTensorFor(input: GraphInput, values: Float32Array, dims: readonly number[]): Tensor {
  return input.type === 'float16' ? float16Tensor(floatArrayToHalf(values), dims) : float32Tensor(values, dims);
}

/** Token ids as the graph's integer type (diffusers' exports use int32, Optimum's int64). */
export function idsTensorFor(input: GraphInput, ids: readonly number[], dims: readonly number[]): Tensor {
  return input.type === 'int32' ? int32Tensor(Int32Array.from(ids), dims) : int64Tensor(BigInt64Array.from(ids, BigInt), dims);
}

/** A timestep tensor of the graph's type: integer graphs get the rounded timestep. */
export function timestepTensorFor(input: GraphInput, values: readonly number[], dims: readonly number[]): Tensor {
  if (input.type === 'int64') return int64Tensor(BigInt64Array.from(values, (v) => BigInt(Math.round(v))), dims);
  if (input.type === 'int32') return int32Tensor(Int32Array.from(values, Math.round), dims);
  return floatTensorFor(input, Float32Array.from(values), dims);
}

/** An output as float32, whatever float precision the graph returns. */
export function floatData(tensor: Tensor, displayName: string): Float32Array {
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') return halfArrayToFloat(tensor.data as Uint16Array);
  throw new ApiError('invalid_model', `${displayName} returns ${tensor.type}; the engine reads float32 or float16 outputs.`);
}
