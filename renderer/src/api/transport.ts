import type { ApiMethod } from '../../../native/contract';

/**
 * How the client reaches the host. `call` resolves with the raw (unvalidated) result or rejects
 * with an ApiError; `subscribe` delivers raw event payloads. Validation happens once, in the client.
 */
export interface Transport {
  readonly kind: 'ipc' | 'http';
  call(method: ApiMethod, params: unknown): Promise<unknown>;
  subscribe(listener: (payload: unknown) => void, onConnectionChange?: (connected: boolean) => void): () => void;
}
