import type { ApiServerSettings, ApiServerStatus } from '../contract';

/** A started API server, as `startWebServer` returns it. */
export interface RunningApiServer {
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Starts the OpenAI-compatible API on 127.0.0.1:port; given by the entry that can run one. */
export type ApiServerStarter = (port: number) => Promise<RunningApiServer>;

const UNAVAILABLE = 'This host cannot run the API server: the desktop app and `pareto serve` can.';

/**
 * Keeps the local API server in step with Settings: started when turned on, stopped when turned
 * off, moved when the port changes. Changes are applied one at a time, in the order made.
 */
export class ApiServerControl {
  #server: RunningApiServer | null = null;
  #problem: string | null = null;
  #applied: Promise<void> = Promise.resolve();

  constructor(private readonly start: ApiServerStarter | null) {}

  apply(settings: ApiServerSettings): Promise<void> {
    this.#applied = this.#applied.then(() => this.#reconcile(settings));
    return this.#applied;
  }

  async status(): Promise<ApiServerStatus> {
    await this.#applied;
    if (!this.start) return { available: false, running: false, baseUrl: null, token: null, problem: UNAVAILABLE };
    const server = this.#server;
    return { available: true, running: server !== null, baseUrl: server ? `http://127.0.0.1:${server.port}/v1` : null, token: server?.token ?? null, problem: this.#problem };
  }

  close(): Promise<void> {
    return this.apply({ enabled: false, port: this.#server?.port ?? 1024 });
  }

  async #reconcile({ enabled, port }: ApiServerSettings): Promise<void> {
    if (!this.start) return;
    if (this.#server && (!enabled || this.#server.port !== port)) {
      await this.#server.close();
      this.#server = null;
    }
    this.#problem = null;
    if (!enabled || this.#server) return;
    try {
      this.#server = await this.start(port);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      this.#problem =
        code === 'EADDRINUSE'
          ? `Port ${port} is in use by another program; choose another port.`
          : `The API server could not start on port ${port}: ${(error as Error).message}.`;
    }
  }
}
