// The preload (sandboxed, CommonJS): exposes the contract's PreloadBridge as `window.pareto`.
// Nothing from Electron or Node reaches the page: not ipcRenderer, not the IpcRendererEvent.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { ApiMethod } from '../../native/contract/api';
import { IPC_CHANNELS, type CallOutcome, type PreloadBridge } from '../../native/contract/channels';

function failed(message: string): CallOutcome {
  return { ok: false, error: { code: 'internal', message } };
}

const bridge: PreloadBridge = {
  async call(method: ApiMethod, params: unknown): Promise<CallOutcome> {
    try {
      return (await ipcRenderer.invoke(IPC_CHANNELS.call, method, params)) as CallOutcome;
    } catch (error) {
      // Only when IPC itself fails (params that cannot be cloned, no handler yet): main never throws.
      return failed(`The call ${String(method)} could not reach the studio: ${error instanceof Error ? error.message : String(error)}`);
    }
  },
  onEvent(listener: (event: unknown) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('onEvent needs a function');
    const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(IPC_CHANNELS.event, forward);
    return () => {
      ipcRenderer.removeListener(IPC_CHANNELS.event, forward);
    };
  },
  desktop: {
    pathForFile: (file: File) => webUtils.getPathForFile(file),
    onImportModelFolder(listener: (path: string) => void): () => void {
      if (typeof listener !== 'function') throw new TypeError('onImportModelFolder needs a function');
      const forward = (_event: IpcRendererEvent, path: unknown) => {
        if (typeof path === 'string') listener(path);
      };
      ipcRenderer.on(IPC_CHANNELS.importModelFolder, forward);
      return () => {
        ipcRenderer.removeListener(IPC_CHANNELS.importModelFolder, forward);
      };
    },
  },
};

contextBridge.exposeInMainWorld('pareto', bridge);
