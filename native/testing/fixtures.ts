import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHARED = path.resolve(HERE, '../../../shared');
const SCRIPTS = path.resolve(HERE, '../../scripts');
const IMAGE_RECIPE = path.resolve(HERE, '../../models/recipes/image/image_pipeline.py');

/** A folder of the read-only shared material beside the project; fails with a clear message when it is missing. */
export function sharedPath(...parts: string[]): string {
  const full = path.join(SHARED, ...parts);
  if (!fs.existsSync(full)) {
    throw new Error(`Shared test material is missing: ${full}. Clone the project next to its shared/ folder (../shared).`);
  }
  return full;
}

export const tinyStoriesOnnx = () => sharedPath('fixtures', 'tinystories-656k-onnx');

/** The project's bundled packages (Pareto Stories, Pareto Emoji), read-only. */
export const bundledModels = () => path.resolve(HERE, '../../models');

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
 * A folder built into the temporary folder once per machine: it is built under a per-process name and
 * renamed into place, so no one sees it half made and test processes that build it at once do not clash.
 */
export function buildOnce(name: string, build: (staging: string) => void): string {
  const target = path.join(os.tmpdir(), name);
  if (fs.existsSync(target)) return target;
  const staging = `${target}.${process.pid}`;
  try {
    build(staging);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  try {
    fs.renameSync(staging, target);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // Another test process made it first.
  }
  return target;
}

/** A folder that a script of scripts/ builds once per machine; `what` and `needs` say, on failure, what it is and what it takes. */
function builtOnce(name: string, script: string, args: string[], what: string, needs: string): string {
  return buildOnce(name, (staging) => {
    const result = spawnSync('/usr/bin/python3', [path.resolve(SCRIPTS, script), '--out', staging, ...args], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`Making ${what} needs /usr/bin/python3 with ${needs} (bash scripts/install.sh): ${(result.stderr || result.stdout).slice(-2000) || result.error}`);
  });
}

/**
 * fp16 and int8 variants of the 656K fixture, derived by scripts/make_variants.py into a temporary
 * folder once per machine (never into the project: derived weights are not ours to ship).
 */
export function fixtureVariants(): string {
  return builtOnce('pareto-fixture-variants-v1', 'make_variants.py', ['--src', tinyStoriesOnnx(), '--fp16', '--int8'], "the fixture's fp16/int8 variants", 'onnx and numpy');
}

/**
 * The `tiny` random-weight Llama of scripts/make_synthetic_llama.py (fp32, int8 and int4 MatMulNBits; its graph
 * masks attention with Where(mask, −∞, scores) where the fixture adds a mask), made once per machine.
 */
export function syntheticTinyLlama(): string {
  return builtOnce('pareto-synthetic-tiny-llama-v2', 'make_synthetic_llama.py', ['--preset', 'tiny', '--int8', '--int4'], 'the synthetic Llama', 'torch, onnx and numpy');
}

/** The `tiny` random-weight decoder on Gemma's layer (GELU-tanh gate, norm scales of 1 + w, scaled embeddings), fp32 and int4, made once per machine. */
export function syntheticTinyGemma(): string {
  return builtOnce('pareto-synthetic-tiny-gemma-v1', 'make_synthetic_llama.py', ['--preset', 'tiny', '--family', 'gemma', '--int4'], 'the synthetic Gemma', 'torch, onnx and numpy');
}

/** The fp32 graph of the 656K fixture in another layout the engine reads (scripts/make_variants.py flags). */
export type FixtureLayout = 'external-data' | 'merged' | 'no-position-ids';

/**
 * The 656K fixture rewritten in `layout` by scripts/make_variants.py: model.onnx + model.onnx_data,
 * Optimum's decoder_model_merged.onnx, or a graph without position_ids. Made into a temporary
 * folder once per machine, like fixtureVariants().
 */
export function fixtureLayout(layout: FixtureLayout): string {
  return builtOnce(`pareto-fixture-layout-${layout}-v1`, 'make_variants.py', ['--src', tinyStoriesOnnx(), `--${layout}`], `the fixture's ${layout} layout`, 'onnx and numpy');
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
  return builtOnce(`pareto-sd-fixture-v2${flags.join('')}`, 'make_sd_fixture.py', flags, 'the Stable Diffusion fixture', 'torch and onnx');
}

/**
 * A Pareto Emoji v2-shaped family (pareto-emoji-teacher/ and pareto-emoji-student/, with the run's PyTorch
 * weights in _work/): the image recipe's smoke config, tiny networks trained a few steps, so the images are
 * noise in the right shapes — a 4×16×16 v-prediction latent UNet (fp32/fp16/int8, dynamic batch), a VAE decoder
 * to 64×64 RGB, a trailing DDIM scheduler. Made once per machine (about a minute; it npm-packs the emoji sets).
 */
export function emojiV2Smoke(): string {
  return builtOnce('pareto-emoji-v2-smoke-v1', IMAGE_RECIPE, ['--config', 'smoke', '--no-reexec'], 'the image recipe smoke packages', 'torch, onnx, numpy, PIL, rsvg-convert and npm');
}
