// Entry of the engine host in a process of its own: an Electron utilityProcess (the desktop shell) or a
// Node child forked with an IPC channel (the web mode). It speaks the contract's RPC messages to its
// parent and never imports electron.
import { parseArgs } from 'node:util';
import { ApiError, RpcRequestSchema, type RpcResponse, type StudioEvent } from '../contract';
import { ELECTRON_SESSION_LIMITS, setSessionLimits } from '../engine/onnx/session-limits';
import { openAiRoutes } from './openai-api';
import { defaultDataDir, defaultModelsDir } from './paths';
import { StudioHost } from './studio-host';
import { startWebServer } from './web-server';

type HostMessage = RpcResponse | { kind: 'event'; event: StudioEvent };

interface ParentLink {
  onMessage(listener: (message: unknown) => void): void;
  post(message: HostMessage): void;
}

interface ElectronParentPort {
  on(event: 'message', listener: (message: { data: unknown }) => void): void;
  postMessage(message: HostMessage): void;
}

const electronParentPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;

function parentLink(): ParentLink {
  const parentPort = electronParentPort;
  if (parentPort) return { onMessage: (listener) => parentPort.on('message', ({ data }) => listener(data)), post: (message) => parentPort.postMessage(message) };
  const send = process.send?.bind(process);
  if (send) {
    // The parent went away (killed, crashed): nobody is left to answer.
    process.on('disconnect', () => process.exit(0));
    return {
      onMessage: (listener) => process.on('message', listener),
      // After the parent has gone, what is still being sent (a job's last events) has nowhere to go: drop it.
      post: (message) => {
        if (process.connected) send(message, undefined, undefined, () => undefined);
      },
    };
  }
  throw new Error('host-entry must run as a child of a shell: an Electron utilityProcess or a Node fork with an IPC channel.');
}

/** The request's id where it has one, so even a malformed request gets an answer instead of a caller waiting forever. */
function requestId(message: unknown): number | null {
  const id = (message as { id?: unknown } | null)?.id;
  return typeof id === 'number' && Number.isInteger(id) ? id : null;
}

function errorBody(error: unknown) {
  return error instanceof ApiError ? error.toBody() : { code: 'internal' as const, message: String((error as Error).message) };
}

const link = parentLink();
const { values } = parseArgs({ options: { model: { type: 'string', multiple: true } }, strict: true });
// Chromium's allocator in Electron aborts on one allocation of 2 GiB or more (onnxruntime #29763).
if (electronParentPort) setSessionLimits(ELECTRON_SESSION_LIMITS);
const host: StudioHost = new StudioHost({
  dataDir: defaultDataDir(),
  bundledModelsDir: defaultModelsDir(),
  modelPaths: values.model ?? [],
  // Settings › Local API server: an API-only listener on loopback with its own token, in the desktop app and the web mode.
  apiServer: (port) => startWebServer({ host, port, staticDir: null, extraRoutes: [openAiRoutes(host)] }),
});
host.onEvent((event) => link.post({ kind: 'event', event }));

link.onMessage((message) => {
  const request = RpcRequestSchema.safeParse(message);
  if (!request.success) {
    const id = requestId(message);
    const reason = `The engine received a malformed request: ${request.error.issues[0]?.message ?? 'not a call'}.`;
    if (id === null) console.error(`[pareto:host] dropped a request without an id: ${reason}`);
    else link.post({ kind: 'result', id, ok: false, error: { code: 'bad_request', message: reason } });
    return;
  }
  const { id, method, params } = request.data;
  host.call(method, params).then(
    (result) => link.post({ kind: 'result', id, ok: true, result }),
    (error: unknown) => link.post({ kind: 'result', id, ok: false, error: errorBody(error) }),
  );
});

link.post({ kind: 'event', event: { type: 'host', status: 'ready', message: null } });
