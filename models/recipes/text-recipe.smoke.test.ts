// CI smoke run of the text recipe: tokenizer → teacher → scaffold → student → QAT → export →
// evaluate → report with tiny dimensions and a few steps, then the studio's engine (through the
// `pareto` CLI) loads the exported student and generates.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PYTHON = '/usr/bin/python3';
const PACKAGES = ['pareto-stories-teacher', 'pareto-stories-student-m', 'pareto-stories-student-s'];

interface Manifest {
  schemaVersion: number;
  kind: string;
  family: string;
  role: string;
  parameters: number;
  operatingPoints: { precision: string; depth: number; file: string; quality: { bitsPerByte: number; repetition: number; consistency: number } }[];
  files: Record<string, string>;
}

function pythonProblem(): string | null {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} is missing: install Debian's python3 (apt-get install -y python3-torch python3-onnx python3-numpy).`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return `${PYTHON} cannot import torch/onnx/numpy (${probe.stderr.trim().split('\n').pop()}): apt-get install -y python3-torch python3-onnx python3-numpy libopenblas0-pthread.`;
  }
  return null;
}

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('text recipe (smoke config)', () => {
  let out = '';

  beforeAll(() => {
    const problem = pythonProblem();
    if (problem) throw new Error(`The text recipe needs PyTorch: ${problem}`);
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'pareto-text-smoke-'));
    const run = spawnSync(PYTHON, ['models/recipes/text_pipeline.py', '--config', 'smoke', '--out', out, '--no-reexec'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 170_000,
    });
    if (run.status !== 0) {
      throw new Error(`text_pipeline.py --config smoke failed (exit ${run.status}):\n${(run.stdout + run.stderr).slice(-4000)}`);
    }
  }, 180_000);

  afterAll(() => {
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it('exports every package with a valid pareto.json whose checksums match', () => {
    for (const name of PACKAGES) {
      const dir = path.join(out, name);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'pareto.json'), 'utf8')) as Manifest;
      expect(manifest).toMatchObject({ schemaVersion: 1, kind: 'text', family: 'pareto-stories' });
      expect(manifest.parameters).toBeGreaterThan(0);
      expect(manifest.operatingPoints.length).toBeGreaterThanOrEqual(3);
      for (const point of manifest.operatingPoints) {
        expect(fs.existsSync(path.join(dir, point.file)), `${name}/${point.file}`).toBe(true);
        expect(point.quality.bitsPerByte).toBeGreaterThan(0);
        expect(point.quality.repetition).toBeGreaterThanOrEqual(0);
        expect(point.quality.consistency).toBeGreaterThanOrEqual(0);
        expect(point.quality.consistency).toBeLessThanOrEqual(1);
      }
      expect(Object.keys(manifest.files)).toEqual(expect.arrayContaining(['onnx/model.onnx', 'onnx/model_int8.onnx', 'tokenizer.json', 'MODEL_CARD.md']));
      for (const [file, digest] of Object.entries(manifest.files)) {
        expect(sha256(path.join(dir, file)), `checksum of ${name}/${file}`).toBe(digest);
      }
    }
  });

  it('the studio engine loads the exported student and generates', () => {
    const stdout = execFileSync(
      process.execPath,
      ['bin/pareto.js', 'generate', 'text', '--model', path.join(out, 'pareto-stories-student-s'), '--prompt', 'Once upon a time', '--max-new-tokens', '20', '--json'],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    const result = JSON.parse(stdout) as { text: string; promptIds: number[]; generatedIds: number[]; metrics: { msPerToken: number | null } };
    expect(result.promptIds[0]).toBe(1); // BOS prepended by the exported tokenizer's post-processor
    expect(result.generatedIds.length).toBeGreaterThan(0);
    expect(typeof result.text).toBe('string');
  });

  it('writes the Table-1 report with coherence per point and the samples the studio writes at λ 0, 0.5 and 1', () => {
    const report = JSON.parse(fs.readFileSync(path.join(out, '_work', 'reports', 'text-table1.json'), 'utf8')) as {
      targets: Record<string, unknown>;
      points: { coherence: { consistency: number; realWords: number; tokens: number } }[];
      lambdaSamples: { lambda: number; point: Record<string, unknown>; text: string }[];
    };
    expect(Object.keys(report.targets)).toEqual(expect.arrayContaining(['parameterRatio', 'teacherBitsPerByte', 'bitsPerByteGapMiddle', 'lambdaPointsDiffer']));
    for (const point of report.points) {
      expect(point.coherence.tokens).toBeGreaterThan(0);
      expect(point.coherence.realWords).toBeGreaterThanOrEqual(0);
    }
    expect(report.lambdaSamples.map((pane) => pane.lambda)).toEqual([0, 0.5, 1]);
    for (const pane of report.lambdaSamples) expect(pane.text.length).toBeGreaterThan(0);
    const markdown = fs.readFileSync(path.join(out, '_work', 'reports', 'text-table1.md'), 'utf8');
    expect(markdown).toContain('Table 1');
    expect(markdown).toContain('samples at λ 0, 0.5, 1');
  });

  it('the cuda config trains through the same code on a CPU (cuda-smoke, --device cpu), resuming a stage from its compact checkpoint', () => {
    const work = path.join(out, '_cuda_smoke');
    const args = ['models/recipes/text_pipeline.py', '--config', 'cuda-smoke', '--device', 'cpu', '--out', path.join(out, 'cuda-smoke'), '--work', work, '--no-reexec'];
    const first = spawnSync(PYTHON, [...args, '--until', 'teacher'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(fs.existsSync(path.join(work, 'teacher.done.json'))).toBe(true);
    // a session cut short: the stage ends with exit 75 and leaves the compact checkpoint a fresh machine resumes from
    const cut = spawnSync(PYTHON, [...args, '--until', 'scaffold', '--session-minutes', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(cut.status, cut.stdout + cut.stderr).toBe(75);
    expect(fs.existsSync(path.join(work, 'scaffold.resume.pt'))).toBe(true);
    fs.rmSync(path.join(work, 'scaffold.ckpt'));
    const resumed = spawnSync(PYTHON, [...args, '--until', 'qat'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('from the compact checkpoint (with optimiser moments)');
    expect(fs.existsSync(path.join(work, 'qat.done.json'))).toBe(true);
  }, 360_000);
});
