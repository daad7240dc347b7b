import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { temporaryDir } from './fixtures';

const run = promisify(execFile);
const PARETO = path.resolve(__dirname, '../../bin/pareto.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `pareto` as a user would, with a fresh data folder and no bundled models, so it sees only the models a test names. */
export function pareto(...args: string[]): Promise<CliResult> {
  return paretoWith({ PARETO_HOME: temporaryDir(), PARETO_MODELS_DIR: temporaryDir() }, ...args);
}

/** Runs `pareto` with these environment variables set (a data folder kept between runs, the bundled models). */
export async function paretoWith(overrides: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const env = { ...process.env, ...overrides };
  try {
    const { stdout, stderr } = await run(process.execPath, [PARETO, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as CliResult;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Runs `pareto` on a given data folder, for commands that read what earlier ones kept (history). */
export function paretoWithHome(home: string, ...args: string[]): Promise<CliResult> {
  return paretoWith({ PARETO_HOME: home, PARETO_MODELS_DIR: temporaryDir() }, ...args);
}

/** Bad input gets one line naming what was wrong, a non-zero exit, and never a stack trace (SPEC §5). */
export function expectOneLineError(result: CliResult, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^pareto: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}
