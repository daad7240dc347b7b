import { isApiMethod, unknownMethodMessage, type ApiErrorBody, type ApiMethod, type CallOutcome } from '../../contract';

/** A failed call as it crosses IPC: an envelope, never a thrown error (IPC drops an error's fields). */
export function failure(code: ApiErrorBody['code'], message: string): CallOutcome {
  return { ok: false, error: { code, message } };
}

/**
 * Checks the method name a renderer asked for. Returns the method when it is one the contract
 * declares, or the failure to send back, naming the valid choices.
 */
export function checkMethod(method: unknown): { ok: true; method: ApiMethod } | { ok: false; outcome: CallOutcome } {
  if (typeof method === 'string' && isApiMethod(method)) return { ok: true, method };
  return { ok: false, outcome: failure('not_found', unknownMethodMessage(method)) };
}
