import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';

export interface RotatingLogOptions {
  dir: string;
  /** The file's base name: `main` writes main.log, then main.1.log … main.<keep>.log. */
  name: string;
  /** Past this size the file is rotated before the next line. */
  maxBytes: number;
  /** Rotated files kept besides the current one. */
  keep: number;
}

/** An append-only log file that rotates by size, so a long-lived studio never fills the disk. */
export class RotatingLogFile {
  readonly path: string;
  #size: number;

  constructor(private readonly options: RotatingLogOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.path = join(options.dir, `${options.name}.log`);
    this.#size = existsSync(this.path) ? statSync(this.path).size : 0;
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line) + 1;
    if (this.#size > 0 && this.#size + bytes > this.options.maxBytes) this.#rotate();
    appendFileSync(this.path, `${line}\n`);
    this.#size += bytes;
  }

  #rotate(): void {
    const numbered = (n: number) => join(this.options.dir, `${this.options.name}.${n}.log`);
    rmSync(numbered(this.options.keep), { force: true });
    for (let n = this.options.keep - 1; n >= 1; n--) if (existsSync(numbered(n))) renameSync(numbered(n), numbered(n + 1));
    if (this.options.keep > 0) renameSync(this.path, numbered(1));
    else rmSync(this.path, { force: true });
    this.#size = 0;
  }
}

type Sink = Pick<Console, 'info' | 'warn' | 'error'>;

/** A logger sink that prints to the console and appends a timestamped line to the log file. */
export function consoleAndFileSink(file: RotatingLogFile, console: Sink, now: () => Date = () => new Date()): Sink {
  const line = (level: string, args: unknown[]) => {
    try {
      file.write(`${now().toISOString()} ${level} ${format(...args)}`);
    } catch {
      // A full or read-only disk must not take the shell down; the console still has the line.
    }
  };
  return {
    info: (...args: unknown[]) => (console.info(...args), line('info', args)),
    warn: (...args: unknown[]) => (console.warn(...args), line('warn', args)),
    error: (...args: unknown[]) => (console.error(...args), line('error', args)),
  };
}
