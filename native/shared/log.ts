/** A console logger whose lines carry the component's name, e.g. `[pareto:engine] …`. */
export interface Logger {
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
}

export function createLogger(component: string, sink: Pick<Console, 'info' | 'warn' | 'error'> = console): Logger {
  const prefix = `[pareto:${component}]`;
  return {
    info: (message, ...details) => sink.info(prefix, message, ...details),
    warn: (message, ...details) => sink.warn(prefix, message, ...details),
    error: (message, ...details) => sink.error(prefix, message, ...details),
  };
}

/** The message of anything thrown, for logs and user-facing sentences. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
