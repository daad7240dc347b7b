import type { ApiMethod, DesktopBridge } from '../../../native/contract';

/**
 * How the client reaches the host. `call` resolves with the raw (unvalidated) result or rejects
 * with an ApiError; `subscribe` delivers raw event payloads. Validation happens once, in the client.
 */
export interface Transport {
  readonly kind: 'ipc' | 'http';
  /** What only the desktop app offers (dropped files' paths, the File menu's import); absent in the browser. */
  readonly desktop?: DesktopBridge;
  call(method: ApiMethod, params: unknown): Promise<unknown>;
  subscribe(listener: (payload: unknown) => void, onConnectionChange?: (connected: boolean) => void): () => void;
}
