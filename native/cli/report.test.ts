import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportSchema } from '../contract';
import { expectOneLineError, paretoWith } from '../testing/cli';
import { copyModel, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { progressLine } from './report';

/** A models folder holding one package of a family whose pareto.json declares operating points but no quality. */
function familyWithoutQuality(): string {
  const models = temporaryDir('pareto-models-');
  const model = copyModel(tinyStoriesOnnx());
  const manifest = { schemaVersion: 1, kind: 'text', family: 'plain-tales', name: 'plain-tales-teacher', role: 'teacher', parameters: 656_000, operatingPoints: [{ precision: 'fp32', depth: 2, file: 'onnx/model.onnx' }] };
  fs.writeFileSync(path.join(model, 'pareto.json'), JSON.stringify(manifest));
  fs.renameSync(model, path.join(models, 'plain-tales-teacher'));
  return models;
}

describe('pareto report', () => {
  const models = familyWithoutQuality();
  const report = (...args: string[]) => paretoWith({ PARETO_HOME: temporaryDir(), PARETO_MODELS_DIR: models }, 'report', ...args);

  it('reports a family without declared quality from its measured cost alone, quality marked unknown', async () => {
    const out = path.join(temporaryDir(), 'report');
    const result = await report('--quick', '--out', out, '--json');
    expect(result.code).toBe(0);
    const written = JSON.parse(result.stdout);
    const family = ReportSchema.parse(written.report).families[0]!;
    expect(family.family).toBe('plain-tales');
    expect(family.points).toHaveLength(1);
    expect(family.points[0]).toMatchObject({ quality: null, qualityRatio: null, index: null, bytes: fs.statSync(path.join(models, 'plain-tales-teacher/onnx/model.onnx')).size });
    expect(family.points[0]!.cost.median).toBeGreaterThan(0);
    expect(family.problems.join(' ')).toMatch(/declare no quality/);
    expect(fs.readdirSync(out)).toEqual(expect.arrayContaining(['table1.md', 'table1.json', 'report.html', 'fig1-quality-vs-complexity.svg']));
    expect(fs.readFileSync(path.join(out, 'table1.md'), 'utf8')).toContain('unknown (not declared)');
    // Progress went to stderr as it measured; the result to stdout.
    expect(result.stderr).toMatch(/pareto: report \[#+\.*\]/);
  });

  it('names an unknown family and the installed ones, and refuses a folder it cannot write, before measuring', async () => {
    expectOneLineError(await report('--family', 'nope'), /No family named "nope"; installed families: plain-tales\./);
    const file = path.join(temporaryDir(), 'a-file');
    fs.writeFileSync(file, '');
    expectOneLineError(await report('--out', path.join(file, 'report')), /The report cannot be written to .*a-file\/report.*--out/);
    expectOneLineError(await report('--ep', 'tpu'), /--ep must be one of cpu, cuda/);
  });

  it('draws a progress bar', () => {
    expect(progressLine(0, 40, 'measuring a')).toBe(`[${'.'.repeat(28)}]   0%  0/40  measuring a`);
    expect(progressLine(20, 40, 'measuring b')).toBe(`[${'#'.repeat(14)}${'.'.repeat(14)}]  50%  20/40  measuring b`);
    expect(progressLine(40, 40, null)).toBe(`[${'#'.repeat(28)}] 100%  40/40  done`);
  });
});
