import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SHARED = path.resolve(__dirname, '../../../shared');

/** A folder of the read-only shared material beside the project; fails with a clear message when it is missing. */
export function sharedPath(...parts: string[]): string {
  const full = path.join(SHARED, ...parts);
  if (!fs.existsSync(full)) {
    throw new Error(`Shared test material is missing: ${full}. Clone the project next to its shared/ folder (../shared).`);
  }
  return full;
}

export const tinyStoriesOnnx = () => sharedPath('fixtures', 'tinystories-656k-onnx');

export function referenceGreedy(): { input_ids: number[]; output_ids: number[] } {
  return JSON.parse(fs.readFileSync(path.join(tinyStoriesOnnx(), 'reference_greedy.json'), 'utf8'));
}

export function temporaryDir(prefix = 'pareto-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A writable copy of a model folder, for tests that break it on purpose. */
export function copyModel(source: string): string {
  const target = path.join(temporaryDir('pareto-model-'), path.basename(source));
  fs.cpSync(source, target, { recursive: true });
  for (const file of fs.readdirSync(target, { recursive: true, withFileTypes: true })) {
    fs.chmodSync(path.join(file.parentPath, file.name), file.isDirectory() ? 0o755 : 0o644);
  }
  return target;
}

/**
 * fp16 and int8 variants of the 656K fixture, derived by scripts/make_variants.py into a temporary
 * folder once per machine (never into the project: derived weights are not ours to ship).
 */
export function fixtureVariants(): string {
  const target = path.join(os.tmpdir(), 'pareto-fixture-variants-v1');
  if (fs.existsSync(path.join(target, 'onnx', 'model_fp16.onnx'))) return target;
  const staging = `${target}.${process.pid}`;
  const script = path.resolve(__dirname, '../../scripts/make_variants.py');
  const result = spawnSync('/usr/bin/python3', [script, '--src', tinyStoriesOnnx(), '--out', staging, '--fp16', '--int8'], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`Making the fixture's fp16/int8 variants needs /usr/bin/python3 with onnx and numpy (bash scripts/install.sh): ${result.stderr || result.error}`);
  }
  try {
    fs.renameSync(staging, target);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // Another test process made them first.
  }
  return target;
}

/**
 * The `tiny` random-weight Llama of scripts/make_synthetic_llama.py (fp32 and int8; its graph masks
 * attention with Where(mask, −∞, scores) where the fixture adds a mask), made once per machine.
 */
export function syntheticTinyLlama(): string {
  const target = path.join(os.tmpdir(), 'pareto-synthetic-tiny-llama-v1');
  if (fs.existsSync(target)) return target;
  const staging = `${target}.${process.pid}`;
  const script = path.resolve(__dirname, '../../scripts/make_synthetic_llama.py');
  const result = spawnSync('/usr/bin/python3', [script, '--out', staging, '--preset', 'tiny', '--int8'], { encoding: 'utf8' });
  if (result.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`Making the synthetic Llama needs /usr/bin/python3 with torch, onnx and numpy (bash scripts/install.sh): ${result.stderr || result.error}`);
  }
  try {
    fs.renameSync(staging, target);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // Another test process made it first.
  }
  return target;
}

/** The fp32 graph of the 656K fixture in another layout the engine reads (scripts/make_variants.py flags). */
export type FixtureLayout = 'external-data' | 'merged' | 'no-position-ids';

/**
 * The 656K fixture rewritten in `layout` by scripts/make_variants.py: model.onnx + model.onnx_data,
 * Optimum's decoder_model_merged.onnx, or a graph without position_ids. Made into a temporary
 * folder once per machine, like fixtureVariants().
 */
export function fixtureLayout(layout: FixtureLayout): string {
  const target = path.join(os.tmpdir(), `pareto-fixture-layout-${layout}-v1`);
  if (fs.existsSync(target)) return target; // Renamed into place only once complete.
  const staging = `${target}.${process.pid}`;
  const script = path.resolve(__dirname, '../../scripts/make_variants.py');
  const result = spawnSync('/usr/bin/python3', [script, '--src', tinyStoriesOnnx(), '--out', staging, `--${layout}`], { encoding: 'utf8' });
  if (result.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`Making the fixture's ${layout} layout needs /usr/bin/python3 with onnx and numpy (bash scripts/install.sh): ${result.stderr || result.error}`);
  }
  try {
    fs.renameSync(staging, target);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // Another test process made it first.
  }
  return target;
}

/** The start of the held-out TinyStories validation head. */
export function heldOutText(characters = 4000): string {
  return fs.readFileSync(sharedPath('data', 'tinystories', 'tinystories_valid_head_807KB.txt'), 'utf8').slice(0, characters);
}

/** Flags of scripts/make_sd_fixture.py. */
export interface SdFixtureOptions {
  variants?: boolean;
  timestepInt64?: boolean;
  fixedBatch?: boolean;
  noVae?: boolean;
}

/**
 * A tiny random-weight Stable Diffusion pipeline in the diffusers ONNX layout, made by
 * scripts/make_sd_fixture.py into a temporary folder once per machine and flag set (seconds; ~0.5 MB).
 */
export function sdFixture(options: SdFixtureOptions = {}): string {
  const flags = [
    options.variants ? '--variants' : null,
    options.timestepInt64 ? '--timestep-int64' : null,
    options.fixedBatch ? '--fixed-batch' : null,
    options.noVae ? '--no-vae' : null,
  ].filter((flag): flag is string => flag !== null);
  const target = path.join(os.tmpdir(), `pareto-sd-fixture-v2${flags.join('')}`);
  if (fs.existsSync(target)) return target; // Renamed into place only once complete.
  const staging = `${target}.${process.pid}`;
  const script = path.resolve(__dirname, '../../scripts/make_sd_fixture.py');
  const result = spawnSync('/usr/bin/python3', [script, '--out', staging, ...flags], { encoding: 'utf8' });
  if (result.status !== 0) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw new Error(`Making the Stable Diffusion fixture needs /usr/bin/python3 with torch and onnx (bash scripts/install.sh): ${result.stderr || result.error}`);
  }
  try {
    fs.renameSync(staging, target);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // Another test process made it first.
  }
  return target;
}
