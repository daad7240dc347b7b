import { fork } from 'node:child_process';
import os from 'node:os';
import type { RpcRequest } from '../../contract';
import type { HostChild, HostChildHandlers } from './engine-supervisor';

export interface ForkLauncherOptions {
  /** The host entry: the built `out/native/host.js`, or `native/host/host-entry.ts` (run through tsx, in tests). */
  modulePath: string;
  /** Arguments of the host entry (`--model DIR` …). */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Launches the engine host as a Node child with an IPC channel (the web mode's and `pareto serve`'s
 * counterpart of Electron's utilityProcess). Requests sent before the child's first message (its
 * `ready` event) wait, so none is lost while the child still loads.
 */
/** A forked host; its pid lets a test (or an operator) find the process. */
export interface ForkedHostChild extends HostChild {
  readonly pid: number | undefined;
}

export function forkHostLauncher(options: ForkLauncherOptions): (handlers: HostChildHandlers) => ForkedHostChild {
  return (handlers) => {
    const child = fork(options.modulePath, [...(options.args ?? [])], {
      env: options.env ?? process.env,
      execArgv: options.modulePath.endsWith('.ts') ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    let waiting: RpcRequest[] | null = [];
    child.on('message', (message: unknown) => {
      const queued = waiting;
      waiting = null;
      queued?.forEach((request) => child.send(request));
      handlers.onMessage(message);
    });
    // A signal's death reads as the shell's exit status does: 128 + the signal's number (SIGKILL: 137).
    child.once('exit', (code, signal) => handlers.onExit(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
    // A child that could not be spawned emits only 'error'.
    child.once('error', () => {
      if (child.pid === undefined) handlers.onExit(1);
    });
    return {
      pid: child.pid,
      postMessage: (request) => (waiting ? waiting.push(request) : child.send(request)),
      kill: () => {
        child.kill();
      },
    };
  };
}
