import { ApiError, type PreloadBridge } from '../../../native/contract';
import type { Transport } from './transport';

/** The desktop transport: the typed bridge the Electron preload exposes as `window.pareto`. */
export function createIpcTransport(bridge: PreloadBridge): Transport {
  return {
    kind: 'ipc',
    desktop: bridge.desktop,
    async call(method, params) {
      let outcome;
      try {
        outcome = await bridge.call(method, params);
      } catch (error) {
        throw new ApiError('internal', `The studio engine did not answer ${method}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!outcome.ok) throw new ApiError(outcome.error.code, outcome.error.message);
      return outcome.result;
    },
    subscribe(listener) {
      return bridge.onEvent(listener);
    },
  };
}
