import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/make_synthetic_llama.py');

/** A random-weight Llama of ≥ 20M parameters with an int8 variant, built once into the user's cache. */
export function syntheticBenchModel(): string {
  const dir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'pareto-studio', 'synthetic-llama-bench-v2');
  if (fs.existsSync(path.join(dir, 'onnx', 'model_int8.onnx'))) return dir;
  const result = spawnSync('/usr/bin/python3', [SCRIPT, '--out', dir, '--preset', 'bench', '--int8'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`Building the synthetic model failed: ${(result.stderr || String(result.error)).trim().split('\n').at(-1)}`);
  return dir;
}
