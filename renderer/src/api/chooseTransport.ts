import type { PreloadBridge } from '../../../native/contract';
import { createHttpTransport } from './httpTransport';
import { createIpcTransport } from './ipcTransport';
import { resolveWebToken } from './token';
import type { Transport } from './transport';

declare global {
  interface Window {
    /** Present only inside the Electron app, set by the preload. */
    pareto?: PreloadBridge;
  }
}

export type TransportChoice = { transport: Transport } | { transport: null; reason: 'missing' };

/** IPC inside the desktop app, HTTP in the browser (which needs the per-launch token). */
export function chooseTransport(): TransportChoice {
  if (window.pareto) return { transport: createIpcTransport(window.pareto) };
  const token = resolveWebToken({ location: window.location, history: window.history, storage: window.sessionStorage });
  if (!token) return { transport: null, reason: 'missing' };
  return { transport: createHttpTransport({ token }) };
}
