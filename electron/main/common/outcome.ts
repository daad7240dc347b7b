import { API_METHOD_NAMES, isApiMethod, type ApiErrorBody, type ApiMethod, type CallOutcome } from '../../../native/contract';

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
  const shown = typeof method === 'string' ? `"${method.slice(0, 80)}"` : `of type ${method === null ? 'null' : typeof method}`;
  return {
    ok: false,
    outcome: failure('not_found', `Unknown method ${shown}; it should be one of: ${API_METHOD_NAMES.join(', ')}.`),
  };
}
