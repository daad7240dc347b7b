// CI smoke run of the image recipe: data (npm pack, rsvg-convert) → autoencoder → teacher → classifier →
// trajectories → student → export → evaluate → report with tiny networks and a few steps, then the studio's
// engine (through the `pareto generate image` CLI) loads the exported latent student and generates one 64×64 image.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGraphSummary } from '../../native/engine/onnx/graph-summary';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PYTHON = '/usr/bin/python3';
const SHIPPED_UNETS = {
  'pareto-emoji-teacher': ['unet/model_fp16.onnx', 'unet/model_int8.onnx'],
  'pareto-emoji-student': ['unet/model.onnx', 'unet/model_fp16.onnx', 'unet/model_int8.onnx'],
} as const;
const PACKAGES = Object.keys(SHIPPED_UNETS) as (keyof typeof SHIPPED_UNETS)[];

interface Manifest {
  schemaVersion: number;
  kind: string;
  family: string;
  role: string;
  parameters: number;
  operatingPoints: { precision: string; steps: number; file: string; quality: { frechetDistance: number; faithfulness: number; recognisabilityTop5: number } }[];
  files: Record<string, string>;
}

function pythonProblem(): string | null {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} is missing: install Debian's python3 (apt-get install -y python3-torch python3-onnx python3-numpy python3-pil).`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy, PIL'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return `${PYTHON} cannot import torch/onnx/numpy/PIL (${probe.stderr.trim().split('\n').pop()}): apt-get install -y python3-torch python3-onnx python3-numpy python3-pil libopenblas0-pthread.`;
  }
  return null;
}

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('image recipe (smoke config)', () => {
  let out = '';

  beforeAll(() => {
    const problem = pythonProblem();
    if (problem) throw new Error(`The image recipe needs PyTorch: ${problem}`);
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'pareto-image-smoke-'));
    const run = spawnSync(PYTHON, ['models/recipes/image/image_pipeline.py', '--config', 'smoke', '--out', out, '--no-reexec'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 230_000,
    });
    if (run.status !== 0) {
      throw new Error(`image_pipeline.py --config smoke failed (exit ${run.status}):\n${(run.stdout + run.stderr).slice(-4000)}`);
    }
  }, 240_000);

  afterAll(() => {
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it('exports both packages in the diffusers ONNX layout with a valid pareto.json whose checksums match', () => {
    for (const name of PACKAGES) {
      const dir = path.join(out, name);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'pareto.json'), 'utf8')) as Manifest;
      expect(manifest).toMatchObject({ schemaVersion: 1, kind: 'image', family: 'pareto-emoji' });
      expect(manifest.parameters).toBeGreaterThan(0);
      expect(manifest.operatingPoints.length).toBeGreaterThanOrEqual(2);
      for (const point of manifest.operatingPoints) {
        expect(fs.existsSync(path.join(dir, point.file)), `${name}/${point.file}`).toBe(true);
        expect(point.quality.frechetDistance).toBeGreaterThanOrEqual(0);
        expect(point.quality.faithfulness).toBeGreaterThanOrEqual(0);
        expect(point.quality.recognisabilityTop5).toBeGreaterThanOrEqual(0);
        expect(point.quality.recognisabilityTop5).toBeLessThanOrEqual(1);
      }
      expect(Object.keys(manifest.files)).toEqual(
        expect.arrayContaining([...SHIPPED_UNETS[name], 'model_index.json', 'text_encoder/model.onnx', 'tokenizer/tokenizer.json',
          'scheduler/scheduler_config.json', 'vae_decoder/model.onnx', 'vae_decoder/config.json', 'MODEL_CARD.md']),
      );
      // the teacher ships no fp32 UNet (the full-size family's 40 MB budget): nothing left behind, nothing pointing at it
      expect(Object.keys(manifest.files).filter((file) => file.startsWith('unet/')).sort()).toEqual([...SHIPPED_UNETS[name]].sort());
      expect(fs.readFileSync(path.join(dir, 'MODEL_CARD.md'), 'utf8')).toContain('CC-BY-SA-4.0');
      for (const [file, digest] of Object.entries(manifest.files)) {
        expect(sha256(path.join(dir, file)), `checksum of ${name}/${file}`).toBe(digest);
      }
    }
  });

  it('exports UNets whose Reshape targets are constants, not shapes computed at every call, and still match PyTorch', () => {
    for (const name of PACKAGES) {
      for (const file of SHIPPED_UNETS[name]) {
        const ops = readGraphSummary(path.join(out, name, file)).nodes.map((node) => node.op_type);
        expect(ops, `${name}/${file}`).toContain('Reshape');
        expect(ops.filter((op) => op === 'Shape'), `${name}/${file}`).toEqual([]);
      }
    }
    // The evaluate stage's parity check: PyTorch against onnxruntime on each package's most precise UNet, same noise, max |Δpixel| in
    // [-1, 1]; the teacher's is its fp16 weights, rounded to 11 significant bits, so it is held to what that rounding allows.
    const report = JSON.parse(fs.readFileSync(path.join(out, '_work', 'reports', 'image-table1.json'), 'utf8')) as { parity: Record<string, number> };
    expect(report.parity.teacher_parity).toBeLessThan(2e-2);
    expect(report.parity.student_parity).toBeLessThan(1e-3);
  });

  it('the studio engine generates an image from the student through `pareto generate image`', () => {
    const png = path.join(out, 'student.png');
    const stdout = execFileSync(
      process.execPath,
      ['bin/pareto.js', 'generate', 'image', '--model', path.join(out, 'pareto-emoji-student'), '--prompt', 'grinning face, noto style',
        '--steps', '4', '--guidance', '1', '--seed', '1', '--out', png, '--json'],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    const result = JSON.parse(stdout) as { width: number; height: number; metrics: { steps: number } };
    expect(result).toMatchObject({ width: 64, height: 64 });
    expect(result.metrics.steps).toBe(4);
    expect(fs.readFileSync(png).subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('writes the Table-1 report with the targets and the contact sheet', () => {
    const reports = path.join(out, '_work', 'reports');
    const report = JSON.parse(fs.readFileSync(path.join(reports, 'image-table1.json'), 'utf8')) as { targets: Record<string, unknown> };
    expect(Object.keys(report.targets)).toEqual(
      expect.arrayContaining(['frechetRatio', 'frechetVsFloor', 'recognisability', 'speedup', 'faithfulness', 'imageWeightsMB']),
    );
    expect(fs.readFileSync(path.join(reports, 'image-table1.md'), 'utf8')).toContain('Table 1');
    expect(fs.readFileSync(path.join(reports, 'image-contact-sheet.png')).subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});
