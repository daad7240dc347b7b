import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The PyTorch eager peer for images: the recipe's own UNet module on the same weights, one step at `batch` samples. */
export function timePytorchUnet(script: string, weights: string, batch: number, runs: number): { msPerStep: number[]; threads: number } {
  if (!fs.existsSync(weights)) throw new Error(`${path.relative(process.cwd(), weights)} is missing: the recipe saves it (npm run models:image)`);
  // Passive OpenMP threads, as the recipe trains with: spinning ones stall at every barrier on a shared machine, which would flatter our side.
  const env = { OMP_WAIT_POLICY: 'PASSIVE', ...process.env };
  const result = spawnSync('/usr/bin/python3', [script, '--weights', weights, '--batch', String(batch), '--runs', String(runs)], { encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`PyTorch UNet peer failed: ${(result.stderr || String(result.error)).trim().split('\n').at(-1)}`);
  return JSON.parse(result.stdout);
}
