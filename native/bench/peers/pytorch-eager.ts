import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectFile } from '../../host/paths';

// Not beside this module once it is bundled into out/native/.
const SCRIPT = projectFile('native', 'bench', 'peers', 'pytorch_llama.py');

/** The PyTorch eager peer: Debian's torch running the same weights (safetensors) with a KV cache. */
export function timePytorchEager(
  safetensorsDir: string,
  promptIds: readonly number[],
  newTokens: number,
  repeats: number,
  eosTokenIds: readonly number[],
): { msPerToken: number[]; generatedIds: number[]; threads: number } {
  if (!fs.existsSync(path.join(safetensorsDir, 'model.safetensors'))) throw new Error(`${safetensorsDir} has no model.safetensors`);
  const input = JSON.stringify({ modelDir: safetensorsDir, promptIds, newTokens, repeats, eosTokenIds });
  const result = spawnSync('/usr/bin/python3', [SCRIPT], { input, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`PyTorch peer failed: ${(result.stderr || String(result.error)).trim().split('\n').at(-1)}`);
  return JSON.parse(result.stdout);
}
