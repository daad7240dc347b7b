import type { ApiMethod, CallOutcome, HostEvent, RpcRequest, StudioEvent } from '../../contract';
import { JobTracker } from './job-tracker';
import { createLogger, describeError, type Logger } from '../../shared/log';
import { failure } from './outcome';
import { RestartPolicy } from './restart-policy';
import { RpcClient, parseHostMessage, type CallOptions } from './rpc-client';

/** A running engine host as the supervisor sees it: an Electron utilityProcess, or a forked Node child (web mode). */
export interface HostChild {
  postMessage(message: RpcRequest): void;
  kill(): void;
}

export interface HostChildHandlers {
  onMessage(message: unknown): void;
  /** The process ended; `code` is its exit code. */
  onExit(code: number): void;
}

/** Starts one host process and wires its messages and exit to the handlers. May throw. */
export type HostLauncher = (handlers: HostChildHandlers) => HostChild;

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface EngineSupervisorOptions {
  launch: HostLauncher;
  /** Receives every event for the window: the host's own and the shell's `host` events. */
  emit: (event: StudioEvent) => void;
  policy?: RestartPolicy;
  timers?: Timers;
  log?: Logger;
  /** How the user restarts a host that stayed down; the desktop menu's by default. */
  restartHint?: string;
}

/**
 * - `stopped`: not started, or stopped on purpose (app quitting).
 * - `running`: a host process exists; calls go to it (it answers once it is ready).
 * - `waiting`: the host crashed and a restart is scheduled.
 * - `down`: the host crashed too often; it stays down until `restart()` is called.
 */
export type EngineState = 'stopped' | 'running' | 'waiting' | 'down';

const nodeTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const SAVED = 'Saved work is kept.';
const DESKTOP_RESTART_HINT = 'Choose File > Restart Engine to try again.';

/**
 * Keeps the engine host alive for every front door (SPEC §6): forwards calls, routes responses and
 * events, and when the host dies unexpectedly fails the calls and jobs it held, tells the window,
 * and restarts it under the restart policy. The window never waits on a dead host.
 */
export class EngineSupervisor {
  #state: EngineState = 'stopped';
  #child: HostChild | null = null;
  /** Increases with every launch and stop, so a dead child's late messages and exit are ignored. */
  #generation = 0;
  #restartTimer: unknown = null;
  #launches = 0;
  readonly #client: RpcClient;
  readonly #jobs = new JobTracker();
  readonly #policy: RestartPolicy;
  readonly #timers: Timers;
  readonly #log: Logger;
  readonly #restartHint: string;

  constructor(private readonly options: EngineSupervisorOptions) {
    this.#policy = options.policy ?? new RestartPolicy();
    this.#timers = options.timers ?? nodeTimers;
    this.#log = options.log ?? createLogger('engine');
    this.#restartHint = options.restartHint ?? DESKTOP_RESTART_HINT;
    this.#client = new RpcClient((request) => {
      if (!this.#child) throw new Error('the engine is not running');
      this.#child.postMessage(request);
    });
  }

  get state(): EngineState {
    return this.#state;
  }

  get pendingCalls(): number {
    return this.#client.pendingCount;
  }

  /** Starts the host if it is not running. */
  start(): void {
    if (this.#state === 'running') return;
    this.#cancelRestart();
    this.#launch();
  }

  call(method: ApiMethod, params: unknown, options?: CallOptions): Promise<CallOutcome> {
    switch (this.#state) {
      case 'running':
        return this.#client.call(method, params, options);
      case 'waiting':
        return Promise.resolve(failure('internal', `The engine is restarting after a crash; try again in a moment. ${SAVED}`));
      case 'down':
        return Promise.resolve(failure('internal', `The engine stopped after repeated crashes. ${this.#restartHint} ${SAVED}`));
      case 'stopped':
        return Promise.resolve(failure('internal', 'The engine is not running.'));
    }
  }

  /** Restarts the host now, whatever its state, and forgets past crashes (File > Restart Engine). */
  restart(): void {
    this.#policy.reset();
    this.#cancelRestart();
    this.#endChild(`The engine was restarted; run the request again. ${SAVED}`);
    this.#emitHost('restarting', 'Restarting the engine.');
    this.#launch();
  }

  /** Stops the host on purpose (the app is quitting); it is not restarted. */
  stop(): void {
    this.#cancelRestart();
    this.#endChild('The engine is shutting down.');
    this.#state = 'stopped';
  }

  #launch(): void {
    const generation = ++this.#generation;
    const current = () => generation === this.#generation;
    try {
      this.#child = this.options.launch({
        onMessage: (message) => {
          if (current()) this.#receive(message);
        },
        onExit: (code) => {
          if (current()) this.#crashed(`exit code ${code}`);
        },
      });
      this.#state = 'running';
      this.#log.info(`engine host started (launch ${++this.#launches})`);
    } catch (error) {
      this.#log.error('could not start the engine host:', error);
      this.#crashed(`it could not start: ${describeError(error)}`);
    }
  }

  #receive(message: unknown): void {
    const parsed = parseHostMessage(message);
    switch (parsed.kind) {
      case 'response':
        if (!this.#client.settle(parsed.id, parsed.outcome)) this.#log.warn(`dropped a response to unknown call ${parsed.id}`);
        break;
      case 'event':
        this.#jobs.observe(parsed.event);
        this.options.emit(parsed.event);
        break;
      case 'invalid':
        this.#log.warn(`dropped a malformed host message: ${parsed.reason}`);
        break;
    }
  }

  #crashed(reason: string): void {
    this.#child = null;
    this.#generation++;
    const decision = this.#policy.recordCrash();
    const message =
      decision.action === 'restart'
        ? `The engine stopped unexpectedly (${reason}); it is restarting. ${SAVED}`
        : `The engine stopped unexpectedly (${reason}), ${decision.crashes} times within ${Math.round(decision.windowMs / 1000)} s, so it was not restarted. ${SAVED} ${this.#restartHint}`;
    this.#log.error(message);
    this.#client.failAll({ code: 'internal', message });
    this.#emitHost('crashed', message);
    for (const event of this.#jobs.abandonAll(`The engine stopped while this job ran (${reason}). ${SAVED} Run it again.`)) {
      this.options.emit(event);
    }
    if (decision.action === 'give-up') {
      this.#state = 'down';
      return;
    }
    this.#state = 'waiting';
    this.#restartTimer = this.#timers.setTimeout(() => {
      this.#restartTimer = null;
      if (this.#state !== 'waiting') return;
      this.#emitHost('restarting', `Restarting the engine (attempt ${decision.attempt} of ${decision.maxRestarts}).`);
      this.#launch();
    }, decision.delayMs);
  }

  /** Kills the current child on purpose: its exit is ignored, its calls and jobs end with `message`. */
  #endChild(message: string): void {
    const child = this.#child;
    this.#child = null;
    this.#generation++;
    if (child) {
      try {
        child.kill();
      } catch (error) {
        this.#log.warn('could not kill the engine host:', error);
      }
    }
    this.#client.failAll({ code: 'internal', message });
    for (const event of this.#jobs.abandonAll(message)) this.options.emit(event);
  }

  #cancelRestart(): void {
    if (this.#restartTimer !== null) this.#timers.clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
  }

  #emitHost(status: HostEvent['status'], message: string): void {
    this.options.emit({ type: 'host', status, message });
  }
}
