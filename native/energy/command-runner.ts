import { execFile } from 'node:child_process';

/** Runs a tool and returns its stdout; rejects when it fails, is missing, or runs past the timeout. */
export type RunCommand = (command: string, args: readonly string[], timeoutMs: number) => Promise<string>;

export class CommandError extends Error {
  constructor(
    message: string,
    readonly kind: 'missing' | 'timeout' | 'failed',
    readonly output = '',
  ) {
    super(message);
  }
}

export const runCommand: RunCommand = (command, args, timeoutMs) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const failure = error as NodeJS.ErrnoException & { killed?: boolean };
      if (failure.code === 'ENOENT') return reject(new CommandError(`${command} is not installed (not on PATH)`, 'missing'));
      if (failure.killed) return reject(new CommandError(`${command} did not answer within ${timeoutMs} ms`, 'timeout'));
      const said = `${stdout}${stderr}`.trim().split('\n')[0] ?? '';
      reject(new CommandError(`${command} failed${said ? `: ${said}` : ''}`, 'failed', `${stdout}${stderr}`));
    });
  });
