import fs from 'node:fs';
import path from 'node:path';
import { ApiError, type ExecutionProvider } from '../../contract';
import { externalDataFiles, NotAnOnnxGraph } from './graph-summary';
import { providerProbeReason, startFailureReason } from './provider-probe';
import { providerSessionOptions } from './providers';
import { createSession, defaultThreadCount, type OrtSession, type OrtSessionOptions } from './runtime';
import { checkInitializerLimit, sessionLimits } from './session-limits';

export interface OpenedSession {
  session: OrtSession;
  ep: ExecutionProvider;
  /** The intra-op threads it runs with. */
  threads: number;
  /** Set when the requested provider could not be used, saying why; the session then runs on CPU. */
  fallbackReason: string | null;
}

/** Session knobs a user may set (SPEC §3 session management). */
export interface SessionTuning {
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Text decoders: run the fused rewrite of a Llama-style export (default) or the export as it is. */
  fuseGraph?: boolean;
  /**
   * The session runs long chains of its own runs one after another (a text decoder's tokens): its worker threads
   * spin between kernels. Left off where sessions take turns (an image's text encoder, UNet and decoder; the two
   * variants of dynamic precision), since one session's spinning workers then hold the cores the next one's run needs.
   */
  spinWorkers?: boolean;
}

export interface OpenSessionOptions extends SessionTuning {
  ep: ExecutionProvider;
  /** How the file is named in error messages (relative to its model folder). */
  displayName: string;
  /**
   * A rewrite of the file to open instead of the file itself (threads are still chosen by the file's size); its
   * external data, if any, is the file's own, read from the file's folder.
   */
  bytes?: Uint8Array;
  /**
   * Let onnxruntime fold DequantizeLinear of constant weights into float32 weights when the session starts
   * (`session.disable_quant_qdq`): for graphs quantised in their weights only, which then run at float32
   * speed from a quarter of the bytes on disk, instead of dequantising every weight at every run.
   */
  foldWeightDequantize?: boolean;
}

const sizesWithData = new Map<string, number>();

/**
 * An ONNX file's size with the external data files it names (read from the graph once per version of the file);
 * a data file that is missing counts nothing, and a file that is not an ONNX graph counts its own size.
 */
export function modelFileBytes(file: string): number {
  const stat = fs.statSync(file);
  const key = `${path.resolve(file)}:${stat.size}:${stat.mtimeMs}`;
  let bytes = sizesWithData.get(key);
  if (bytes === undefined) {
    bytes = stat.size + dataFilesOf(file).reduce((sum, data) => sum + (fs.statSync(data, { throwIfNoEntry: false })?.size ?? 0), 0);
    sizesWithData.set(key, bytes);
  }
  return bytes;
}

function dataFilesOf(file: string): string[] {
  try {
    return externalDataFiles(file);
  } catch (error) {
    if (error instanceof NotAnOnnxGraph) return [];
    throw error;
  }
}

/**
 * Threads for a model of this size when the user has not chosen: small models run faster on one
 * thread, since splitting their tiny matrix products across cores costs more than it saves.
 */
export function autoThreadCount(modelBytes: number): number {
  return modelBytes < SMALL_MODEL_BYTES ? 1 : defaultThreadCount();
}

const SMALL_MODEL_BYTES = 32 * 1024 * 1024;

/** The first line of an onnxruntime error, without its source-location and function-signature prefix. */
function firstLine(message: string): string {
  return message
    .split('\n')[0]!
    .replace(/^.*?failed:\s*/i, '')
    .replace(/^\/\S+:\d+ .*?> /, '')
    .trim();
}

/** onnxruntime's options for a session on `threads` intra-op threads, before the provider's own. */
export function baseSessionOptions(
  threads: number,
  options: Pick<OpenSessionOptions, 'graphOptimizationLevel' | 'foldWeightDequantize' | 'spinWorkers'> & { externalDataDir?: string },
): OrtSessionOptions {
  return {
    enableCpuMemArena: sessionLimits().cpuMemArena,
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    intraOpNumThreads: threads,
    // Sessions run their graph sequentially, so a pool of inter-op threads only adds scheduling cost (~10% per token here).
    interOpNumThreads: 1,
    // Only multi-threaded sessions (big models, see autoThreadCount) have worker threads. With spinWorkers they spin
    // between the hundreds of kernels of a decode step rather than sleep: the 135M shape's int4 token takes 7.5 ms
    // instead of 10.1 (fp32 22.8 instead of 27.7) on 2 cores, at about the same estimated joules per token. They stop
    // spinning ~15 ms after a run (30 ms of CPU in the 3 s after one, measured), so an idle studio burns no core.
    extra: {
      session: {
        intra_op: { allow_spinning: threads > 1 && options.spinWorkers ? '1' : '0' },
        inter_op: { allow_spinning: '0' },
        ...(options.foldWeightDequantize ? { disable_quant_qdq: '1' } : {}),
        // A model opened from memory finds its external data here rather than beside a file it does not have.
        ...(options.externalDataDir ? { model_external_initializers_file_folder_path: options.externalDataDir } : {}),
      },
    },
  };
}

/** Opens an ONNX file on the requested provider, falling back to CPU with the reason. */
export async function openSession(modelPath: string, options: OpenSessionOptions): Promise<OpenedSession> {
  if (!fs.existsSync(modelPath)) throw new ApiError('invalid_model', `Model file ${options.displayName} is missing.`);
  const totalBytes = modelFileBytes(modelPath);
  checkInitializerLimit(modelPath, options.displayName, totalBytes);
  const threads = options.threads ?? autoThreadCount(totalBytes);
  const base = baseSessionOptions(threads, { ...options, externalDataDir: options.bytes ? path.dirname(path.resolve(modelPath)) : undefined });
  const open = async (ep: ExecutionProvider) => createSession(options.bytes ?? modelPath, { ...base, ...providerSessionOptions(ep) });

  let fallbackReason: string | null = null;
  if (options.ep !== 'cpu') {
    const reason = await providerProbeReason(options.ep);
    if (reason === null) {
      try {
        return { session: await open(options.ep), ep: options.ep, threads, fallbackReason: null };
      } catch (error) {
        fallbackReason = `${startFailureReason(options.ep, String((error as Error).message)).replace(/\.$/, '')} for ${options.displayName}, so it runs on CPU.`;
      }
    } else {
      fallbackReason = `${reason.replace(/\.$/, '')}, so this runs on CPU.`;
    }
  }
  try {
    return { session: await open('cpu'), ep: 'cpu', threads, fallbackReason };
  } catch (error) {
    throw new ApiError(
      'invalid_model',
      `Model file ${options.displayName} could not be loaded: it is truncated, corrupt or not an ONNX model (${firstLine(String((error as Error).message))}).`,
    );
  }
}
