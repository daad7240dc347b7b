import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PARETO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/pareto.js');

export interface ColdStart {
  /** From spawning a fresh `pareto generate text` process to its first token (the result it prints), first load and second. */
  firstLoadMs: number;
  secondLoadMs: number;
  ratio: number;
  /** From spawn to the first process's exit: it waits for the rewrite it stores in the background. */
  firstLoadExitMs: number;
}

/** Milliseconds from spawn to the printed result of one token (`--json` prints it before the host closes), and to exit. */
function firstTokenProcess(modelDir: string, precision: string, home: string): Promise<{ firstTokenMs: number; exitMs: number }> {
  const args = [PARETO, 'generate', 'text', '--model', modelDir, '--precision', precision, '--prompt', 'Once upon a time', '--max-new-tokens', '1', '--greedy', '--json'];
  const start = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, PARETO_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let firstTokenMs: number | null = null;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (firstTokenMs === null && stdout.includes('\n')) firstTokenMs = performance.now() - start;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0 || firstTokenMs === null) reject(new Error(`pareto generate failed: ${stderr.trim().split('\n').at(-1) ?? `exit ${status}`}`));
      else resolve({ firstTokenMs, exitMs: performance.now() - start });
    });
  });
}

/**
 * Time to the first token from a cold process, twice on one fresh data folder: the first load rewrites the
 * export, probes the rewrite and stores it; the second opens the stored rewrite.
 */
async function measureColdStart(modelDir: string, precision: string): Promise<ColdStart> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pareto-cold-start-'));
  try {
    const first = await firstTokenProcess(modelDir, precision, home);
    const second = await firstTokenProcess(modelDir, precision, home);
    return { firstLoadMs: first.firstTokenMs, secondLoadMs: second.firstTokenMs, ratio: first.firstTokenMs / second.firstTokenMs, firstLoadExitMs: first.exitMs };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** A bench's report with its cold start at `precision`, or why it could not be timed. */
export async function withColdStart<Report extends { coldStart?: ColdStart; skipped: Partial<Record<'coldStart', string>> }>(report: Report, modelDir: string, precision: string): Promise<Report> {
  try {
    report.coldStart = await measureColdStart(modelDir, precision);
  } catch (error) {
    report.skipped.coldStart = (error as Error).message;
  }
  return report;
}
