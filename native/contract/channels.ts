// Transport names and the preload bridge's shape. Free of zod at run time, so the sandboxed
// preload can bundle it in a few hundred bytes.
import type { ApiMethod } from './api';
import type { ApiErrorBody } from './schemas';

/** Electron IPC channel names, shared by main and preload. */
export const IPC_CHANNELS = { call: 'pareto:call', event: 'pareto:event', importModelFolder: 'pareto:import-model-folder' } as const;

/** HTTP routes of the web mode. Calls are `POST {callPrefix}{method}` with a JSON body. */
export const HTTP_ROUTES = { callPrefix: '/api/', events: '/api/events', tokenQuery: 'token' } as const;

/** Content types of the built renderer's files, for the shells that serve it (web mode, the desktop app's app://). */
export const RENDERER_CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** What a call returns across IPC, where thrown errors lose their fields. */
export type CallOutcome = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };

/** What only the desktop app offers the page: paths of dropped files, and the File menu's model import. */
export interface DesktopBridge {
  /** The path on disk of a file or folder dropped on the window. */
  pathForFile(file: File): string;
  /** Called with the folder picked in File › Import Model Folder…, for the page to import and show. */
  onImportModelFolder(listener: (path: string) => void): () => void;
}

/** The object the Electron preload exposes as `window.pareto`. */
export interface PreloadBridge {
  call(method: ApiMethod, params: unknown): Promise<CallOutcome>;
  onEvent(listener: (event: unknown) => void): () => void;
  desktop: DesktopBridge;
}
