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

/** The real small models whose shapes (not weights) the speed benchmark reproduces. */
export const MODEL_SHAPES = ['smollm2-135m', 'qwen2.5-0.5b'] as const;
export type ModelShape = (typeof MODEL_SHAPES)[number];

/**
 * A random-weight decoder with a real model's shape, in fp32, int8 and int4 (MatMulNBits, block 32, accuracy
 * levels 4 and 0), built once into the user's cache (minutes and hundreds of MB, so never into the project).
 */
export function shapeModel(shape: ModelShape): string {
  const dir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'pareto-studio', `shape-${shape}-v1`);
  if (fs.existsSync(dir)) return dir;
  const staging = `${dir}.building-${process.pid}`;
  const result = spawnSync('/usr/bin/python3', [SCRIPT, '--out', staging, '--preset', shape, '--int8', '--int4'], { encoding: 'utf8' });
  if (result.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`Building the ${shape} shape failed: ${(result.stderr || String(result.error)).trim().split('\n').at(-1)}`);
  }
  fs.renameSync(staging, dir);
  return dir;
}
