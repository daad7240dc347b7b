// Entry of the engine host when the desktop shell runs it in an Electron utilityProcess.
// It speaks the contract's RPC messages over process.parentPort; it never imports electron.
import { ApiError, RpcRequestSchema, type RpcResponse, type StudioEvent } from '../contract';
import { ELECTRON_SESSION_LIMITS, setSessionLimits } from '../engine/onnx/session-limits';
import { openAiRoutes } from './openai-api';
import { defaultDataDir, defaultModelsDir } from './paths';
import { StudioHost } from './studio-host';
import { startWebServer } from './web-server';

interface ParentPort {
  on(event: 'message', listener: (message: { data: unknown }) => void): void;
  postMessage(message: RpcResponse | { kind: 'event'; event: StudioEvent }): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) throw new Error('utility-entry must run in an Electron utilityProcess.');

setSessionLimits(ELECTRON_SESSION_LIMITS);

// The API server Settings turns on: the OpenAI-compatible routes and the studio's own, no UI, loopback only.
const host: StudioHost = new StudioHost({
  dataDir: defaultDataDir(),
  bundledModelsDir: defaultModelsDir(),
  apiServer: (port) => startWebServer({ host, port, staticDir: null, extraRoutes: [openAiRoutes(host)] }),
});
host.onEvent((event) => parentPort.postMessage({ kind: 'event', event }));

parentPort.on('message', ({ data }) => {
  const request = RpcRequestSchema.safeParse(data);
  if (!request.success) return;
  const { id, method, params } = request.data;
  host.call(method, params).then(
    (result) => parentPort.postMessage({ kind: 'result', id, ok: true, result }),
    (error: unknown) => {
      const body = error instanceof ApiError ? error.toBody() : { code: 'internal' as const, message: String((error as Error).message) };
      parentPort.postMessage({ kind: 'result', id, ok: false, error: body });
    },
  );
});

parentPort.postMessage({ kind: 'event', event: { type: 'host', status: 'ready', message: null } });
