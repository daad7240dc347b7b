import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { apiMethods, IPC_CHANNELS, type ApiMethod, type CallOutcome } from '../../native/contract';
import { checkMethod, describeError, failure, type Logger } from '../../native/host/supervisor';

export interface CallHandlerOptions {
  /** True only for the main frame of our own window, showing our own page. */
  isTrustedSender(event: IpcMainInvokeEvent): boolean;
  call(method: ApiMethod, params: unknown): Promise<CallOutcome>;
  log: Logger;
}

/** The contract's check of a call's parameters, before anything crosses to the engine process. */
export function checkParams(method: ApiMethod, params: unknown): CallOutcome | null {
  const parsed = apiMethods[method].params.safeParse(params);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0]!;
  return failure('bad_request', `${method}: ${issue.path.length ? issue.path.join('.') : 'parameters'}: ${issue.message}`);
}

/**
 * Answers `window.pareto.call` from the preload. Always resolves with a CallOutcome envelope;
 * never throws across IPC, where an error would lose its code. Only our window's main frame may
 * call, and only with a method and parameters the contract accepts.
 */
export function registerCallHandler(options: CallHandlerOptions): () => void {
  ipcMain.handle(IPC_CHANNELS.call, async (event, method: unknown, params: unknown): Promise<CallOutcome> => {
    if (!options.isTrustedSender(event)) {
      options.log.warn(`refused a call from an untrusted frame (${event.senderFrame?.url ?? 'gone'})`);
      return failure('unauthorized', 'Only the Pareto Studio window may call the engine.');
    }
    const checked = checkMethod(method);
    if (!checked.ok) return checked.outcome;
    const refused = checkParams(checked.method, params);
    if (refused) return refused;
    try {
      return await options.call(checked.method, params);
    } catch (error) {
      options.log.error(`call ${checked.method} failed in the shell:`, error);
      return failure('internal', `The call ${checked.method} failed: ${describeError(error)}.`);
    }
  });
  return () => ipcMain.removeHandler(IPC_CHANNELS.call);
}
