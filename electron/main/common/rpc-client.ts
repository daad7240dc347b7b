import {
  ApiErrorSchema,
  StudioEventSchema,
  type ApiErrorBody,
  type ApiMethod,
  type CallOutcome,
  type RpcRequest,
  type StudioEvent,
} from '../../../native/contract';
import { describeError } from './log';
import { failure } from './outcome';

/** One message from the engine host, checked: the answer to a call, a pushed event, or garbage. */
export type HostMessage =
  | { kind: 'response'; id: number; outcome: CallOutcome }
  | { kind: 'event'; event: StudioEvent }
  | { kind: 'invalid'; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a message the host posted against the protocol (`RpcResponse` or `{kind:'event'}`). */
export function parseHostMessage(message: unknown): HostMessage {
  if (!isRecord(message)) return { kind: 'invalid', reason: 'the message is not an object' };
  if (message.kind === 'event') {
    const parsed = StudioEventSchema.safeParse(message.event);
    return parsed.success
      ? { kind: 'event', event: parsed.data }
      : { kind: 'invalid', reason: `the event does not match the contract: ${parsed.error.message}` };
  }
  if (message.kind === 'result') {
    const { id, ok } = message;
    if (typeof id !== 'number' || !Number.isInteger(id)) return { kind: 'invalid', reason: 'the result has no integer id' };
    if (ok === true) return { kind: 'response', id, outcome: { ok: true, result: message.result } };
    if (ok === false) {
      const error = ApiErrorSchema.safeParse(message.error);
      const body: ApiErrorBody = error.success
        ? error.data
        : { code: 'internal', message: 'The engine failed with an error it could not describe.' };
      return { kind: 'response', id, outcome: { ok: false, error: body } };
    }
    return { kind: 'invalid', reason: `result ${id} has no boolean "ok"` };
  }
  return { kind: 'invalid', reason: `unknown message kind ${JSON.stringify(message.kind)}` };
}

/**
 * The shell's side of the host protocol: numbers each call, keeps it pending until the response
 * with the same id arrives, and never times out on its own (a generation may take minutes).
 * A call ends only by its response or by `failAll`, which the supervisor uses when the host dies.
 */
export class RpcClient {
  #nextId = 1;
  readonly #pending = new Map<number, (outcome: CallOutcome) => void>();

  /** `send` posts one request to the host; if it throws, the call fails at once. */
  constructor(private readonly send: (request: RpcRequest) => void) {}

  get pendingCount(): number {
    return this.#pending.size;
  }

  call(method: ApiMethod, params: unknown): Promise<CallOutcome> {
    const id = this.#nextId++;
    return new Promise<CallOutcome>((resolve) => {
      this.#pending.set(id, resolve);
      try {
        this.send({ kind: 'call', id, method, params });
      } catch (error) {
        this.#pending.delete(id);
        resolve(failure('internal', `Could not send ${method} to the engine: ${describeError(error)}.`));
      }
    });
  }

  /** Ends the call with this id. Returns false when no call was waiting for it. */
  settle(id: number, outcome: CallOutcome): boolean {
    const resolve = this.#pending.get(id);
    if (!resolve) return false;
    this.#pending.delete(id);
    resolve(outcome);
    return true;
  }

  /** Ends every pending call with the same error; returns how many there were. */
  failAll(error: ApiErrorBody): number {
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    for (const resolve of waiting) resolve({ ok: false, error: { ...error } });
    return waiting.length;
  }
}
