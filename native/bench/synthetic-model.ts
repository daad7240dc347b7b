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

/** Disk a shape's build needs at its peak (torch's export beside the saved graph, then every variant): 1.3 GB and 5.0 GB once built. */
const BUILD_DISK_BYTES: Record<ModelShape, number> = { 'smollm2-135m': 2e9, 'qwen2.5-0.5b': 8e9 };

/**
 * A random-weight decoder with a real model's shape, in fp32, int8 and int4 (MatMulNBits, block 32, accuracy
 * levels 4 and 0), built once into the user's cache (minutes and gigabytes, so never into the project; the 0.5B
 * shape takes ~4 minutes and ~8.5 GB of memory on a 2-core machine). Only `pareto bench text --model-shape` builds one.
 */
export function shapeModel(shape: ModelShape): string {
  const cache = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'pareto-studio');
  const dir = path.join(cache, `shape-${shape}-v1`);
  if (fs.existsSync(dir)) return dir;
  fs.mkdirSync(cache, { recursive: true });
  const free = fs.statfsSync(cache);
  const available = free.bavail * free.bsize;
  if (available < BUILD_DISK_BYTES[shape]) {
    throw new Error(`Building the ${shape} shape needs ${(BUILD_DISK_BYTES[shape] / 1e9).toFixed(0)} GB free in ${cache}; it has ${(available / 1e9).toFixed(1)} GB.`);
  }
  const staging = `${dir}.building-${process.pid}`;
  const result = spawnSync('/usr/bin/python3', [SCRIPT, '--out', staging, '--preset', shape, '--int8', '--int4'], { encoding: 'utf8' });
  if (result.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`Building the ${shape} shape failed: ${(result.stderr || String(result.error)).trim().split('\n').at(-1)}`);
  }
  fs.renameSync(staging, dir);
  return dir;
}
