import { utilityProcess } from 'electron';
import type { HostLauncher, Logger } from '../../native/host/supervisor';

export interface HostProcessOptions {
  /** The built host entry, `out/native/host.js`. */
  modulePath: string;
  /** Where the host keeps settings, history and outputs (`app.getPath('userData')`). */
  dataDir: string;
  /** The bundled models (`<appRoot>/models` in development, `<resources>/models` packaged). */
  modelsDir: string;
  log: Logger;
}

/** Launches the engine host in an Electron utilityProcess: a Node process outside the window's. */
export function utilityHostLauncher(options: HostProcessOptions): HostLauncher {
  return (handlers) => {
    const child = utilityProcess.fork(options.modulePath, [], {
      serviceName: 'Pareto Engine',
      env: { ...process.env, PARETO_HOME: options.dataDir, PARETO_MODELS_DIR: options.modelsDir },
      stdio: 'inherit',
      // macOS: run it from the "Helper (Plugin)" executable, which is signed with
      // disable-library-validation, so ONNX Runtime's dylibs load under the hardened runtime.
      allowLoadingUnsignedLibraries: process.platform === 'darwin',
    });
    child.on('message', (message: unknown) => handlers.onMessage(message));
    child.on('exit', (code) => handlers.onExit(code));
    child.on('error', (type, location) => options.log.error(`engine host ${type} at ${location}`));
    return {
      postMessage: (message) => child.postMessage(message),
      kill: () => {
        child.kill();
      },
    };
  };
}
