import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PARETO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/pareto.js');

/** Wall time of a fresh `pareto generate text` process up to its first token, from spawn to exit (one token asked). */
function firstTokenProcessMs(modelDir: string, precision: string, home: string): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, [PARETO, 'generate', 'text', '--model', modelDir, '--precision', precision, '--prompt', 'Once upon a time', '--max-new-tokens', '1', '--greedy', '--json'], {
    env: { ...process.env, PARETO_HOME: home },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`pareto generate failed: ${(result.stderr || String(result.error)).trim().split('\n').at(-1)}`);
  return performance.now() - start;
}

/**
 * Time to the first token from a cold process, twice on one fresh data folder: the first load rewrites the
 * export, probes the rewrite and stores it; the second opens the stored rewrite.
 */
export function measureColdStart(modelDir: string, precision: string): { firstLoadMs: number; secondLoadMs: number; ratio: number } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pareto-cold-start-'));
  try {
    const firstLoadMs = firstTokenProcessMs(modelDir, precision, home);
    const secondLoadMs = firstTokenProcessMs(modelDir, precision, home);
    return { firstLoadMs, secondLoadMs, ratio: firstLoadMs / secondLoadMs };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
