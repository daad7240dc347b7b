import {
  ApiErrorSchema,
  RpcResponseSchema,
  StudioEventSchema,
  type ApiErrorBody,
  type ApiMethod,
  type CallOutcome,
  type RpcRequest,
  type StudioEvent,
} from '../../contract';
import { describeError } from '../../shared/log';
import { failure } from './outcome';

/** One message from the engine host, checked: the answer to a call, a pushed event, or garbage. */
export type HostMessage =
  | { kind: 'response'; id: number; outcome: CallOutcome }
  | { kind: 'event'; event: StudioEvent }
  | { kind: 'invalid'; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const UNDESCRIBED: ApiErrorBody = { code: 'internal', message: 'The engine failed with an error it could not describe.' };

function parseResult(message: Record<string, unknown>): HostMessage {
  const parsed = RpcResponseSchema.safeParse(message);
  if (parsed.success) {
    const response = parsed.data;
    return { kind: 'response', id: response.id, outcome: response.ok ? { ok: true, result: response.result } : { ok: false, error: response.error } };
  }
  const { id, ok } = message;
  if (typeof id !== 'number' || !Number.isInteger(id)) return { kind: 'invalid', reason: 'the result has no integer id' };
  // A failure whose error body is outside the contract still answers its call, so the caller does not wait forever.
  if (ok === false && !ApiErrorSchema.safeParse(message.error).success) return { kind: 'response', id, outcome: { ok: false, error: UNDESCRIBED } };
  return { kind: 'invalid', reason: `result ${id} does not match the contract: ${parsed.error.message}` };
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
  if (message.kind === 'result') return parseResult(message);
  return { kind: 'invalid', reason: `unknown message kind ${JSON.stringify(message.kind)}` };
}

export interface CallOptions {
  /** Fails the call when no answer came within this many milliseconds; absent: it waits for its answer. */
  timeoutMs?: number;
  /** Fails the call at once when aborted (the caller went away); the host may still finish it. */
  signal?: AbortSignal;
}

interface PendingCall {
  settle(outcome: CallOutcome): void;
}

/**
 * The shell's side of the host protocol: numbers each call and keeps it pending until the response
 * with the same id arrives, its timeout passes, its signal aborts, or `failAll` ends it (the
 * supervisor does when the host dies).
 */
export class RpcClient {
  #nextId = 1;
  readonly #pending = new Map<number, PendingCall>();

  /** `send` posts one request to the host; if it throws, the call fails at once. */
  constructor(private readonly send: (request: RpcRequest) => void) {}

  get pendingCount(): number {
    return this.#pending.size;
  }

  call(method: ApiMethod, params: unknown, options: CallOptions = {}): Promise<CallOutcome> {
    const id = this.#nextId++;
    return new Promise<CallOutcome>((resolve) => {
      const { signal, timeoutMs } = options;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const abandon = () => this.settle(id, failure('internal', `The call ${method} was cancelled.`));
      this.#pending.set(id, {
        settle: (outcome) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', abandon);
          resolve(outcome);
        },
      });
      if (signal?.aborted) return abandon();
      signal?.addEventListener('abort', abandon, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => this.settle(id, failure('internal', `The engine did not answer ${method} within ${Math.round(timeoutMs / 1000)} s.`)), timeoutMs);
      }
      try {
        this.send({ kind: 'call', id, method, params });
      } catch (error) {
        this.settle(id, failure('internal', `Could not send ${method} to the engine: ${describeError(error)}.`));
      }
    });
  }

  /** Ends the call with this id. Returns false when no call was waiting for it. */
  settle(id: number, outcome: CallOutcome): boolean {
    const pending = this.#pending.get(id);
    if (!pending) return false;
    this.#pending.delete(id);
    pending.settle(outcome);
    return true;
  }

  /** Ends every pending call with the same error; returns how many there were. */
  failAll(error: ApiErrorBody): number {
    const waiting = [...this.#pending.keys()];
    for (const id of waiting) this.settle(id, { ok: false, error: { ...error } });
    return waiting.length;
  }
}
