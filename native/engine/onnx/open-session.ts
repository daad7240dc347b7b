import fs from 'node:fs';
import { ApiError, type ExecutionProvider } from '../../contract';
import { providerLabel, providerSessionOptions, unavailableReason } from './providers';
import { createSession, defaultThreadCount, type OrtSession } from './runtime';

export interface OpenedSession {
  session: OrtSession;
  ep: ExecutionProvider;
  /** Set when the requested provider could not be used, saying why; the session then runs on CPU. */
  fallbackReason: string | null;
}

/** Session knobs a user may set (SPEC §3 session management). */
export interface SessionTuning {
  threads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface OpenSessionOptions extends SessionTuning {
  ep: ExecutionProvider;
  /** How the file is named in error messages (relative to its model folder). */
  displayName: string;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/^.*?failed:\s*/i, '').trim();
}

/** Opens an ONNX file on the requested provider, falling back to CPU with the reason. */
export async function openSession(modelPath: string, options: OpenSessionOptions): Promise<OpenedSession> {
  if (!fs.existsSync(modelPath)) throw new ApiError('invalid_model', `Model file ${options.displayName} is missing.`);
  const base = { graphOptimizationLevel: options.graphOptimizationLevel ?? 'all', intraOpNumThreads: options.threads ?? defaultThreadCount() };
  const open = async (ep: ExecutionProvider) => createSession(modelPath, { ...base, ...providerSessionOptions(ep) });

  let fallbackReason: string | null = null;
  if (options.ep !== 'cpu') {
    const reason = unavailableReason(options.ep);
    if (reason === null) {
      try {
        return { session: await open(options.ep), ep: options.ep, fallbackReason: null };
      } catch (error) {
        fallbackReason = `${providerLabel(options.ep)} could not start (${firstLine(String((error as Error).message))}); running on CPU.`;
      }
    } else {
      fallbackReason = `${reason} Running on CPU.`;
    }
  }
  try {
    return { session: await open('cpu'), ep: 'cpu', fallbackReason };
  } catch (error) {
    throw new ApiError(
      'invalid_model',
      `Model file ${options.displayName} could not be loaded: it is truncated, corrupt or not an ONNX model (${firstLine(String((error as Error).message))}).`,
    );
  }
}
