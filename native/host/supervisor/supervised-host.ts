import { ApiError, type StudioEvent } from '../../contract';
import type { HostConnection } from '../host-connection';
import { EngineSupervisor, type EngineSupervisorOptions } from './engine-supervisor';
import { checkMethod } from './outcome';

/**
 * The host in a supervised child process, seen as a `HostConnection`: a crash fails the calls and
 * jobs it held with a clear error and the child restarts under the restart policy.
 */
export class SupervisedHost implements HostConnection {
  readonly supervisor: EngineSupervisor;
  readonly #listeners = new Set<(event: StudioEvent) => void>();

  constructor(options: Omit<EngineSupervisorOptions, 'emit'>) {
    this.supervisor = new EngineSupervisor({ ...options, emit: (event) => this.#listeners.forEach((listener) => listener(event)) });
  }

  onEvent(listener: (event: StudioEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async call(method: string, params: unknown): Promise<unknown> {
    const checked = checkMethod(method);
    const outcome = checked.ok ? await this.supervisor.call(checked.method, params) : checked.outcome;
    if (outcome.ok) return outcome.result;
    throw new ApiError(outcome.error.code, outcome.error.message);
  }
}
