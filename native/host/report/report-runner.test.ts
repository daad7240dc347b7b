import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReportDoneEvent, StudioEvent } from '../../contract';
import { copyModel, temporaryDir, tinyStoriesOnnx } from '../../testing/fixtures';
import { ModelRegistry } from '../model-registry';
import { SettingsStore } from '../settings-store';
import { ReportRunner, type PointRunners } from './report-runner';

/** A family of two points on the 656K fixture; the fp16 one is the same file, which this test makes fail. */
function registryWithFamily(): ModelRegistry {
  const models = temporaryDir('pareto-models-');
  const model = path.join(models, 'tales-teacher');
  fs.renameSync(copyModel(tinyStoriesOnnx()), model);
  const points = ['fp32', 'fp16'].map((precision, index) => ({ precision, depth: 2, file: 'onnx/model.onnx', quality: { bitsPerByte: 1.1 + index / 100 } }));
  fs.writeFileSync(path.join(model, 'pareto.json'), JSON.stringify({ schemaVersion: 1, kind: 'text', family: 'tales', name: 'tales-teacher', role: 'teacher', operatingPoints: points }));
  return new ModelRegistry(new SettingsStore(temporaryDir()), models);
}

const runs: PointRunners = {
  text: async (_folder, precision) => {
    if (precision === 'fp16') throw new Error('the session could not be created');
    return { cost: 2, peakRssMb: 100, joulesPerOutput: null, energySource: null, energyRange: null };
  },
  image: async () => {
    throw new Error('no image family here');
  },
};

const runnerFor = (events: StudioEvent[] = []) => new ReportRunner({ registry: registryWithFamily(), emit: (event) => events.push(event), reportsDir: temporaryDir(), device: 'Test CPU', run: runs, providerAvailable: async () => true });

describe('the report runner', () => {
  it('keeps the points that ran when one fails, says which failed and why, and writes the folder', async () => {
    const events: StudioEvent[] = [];
    const runner = runnerFor(events);
    const out = path.join(temporaryDir(), 'report');
    const { jobId } = runner.start({ quick: true, out, ep: 'cpu' });
    await expect.poll(() => events.find((event) => event.type === 'report-done' || event.type === 'error'), { timeout: 30_000 }).toBeDefined();
    const done = events.find((event): event is ReportDoneEvent => event.type === 'report-done')!;
    expect(done.jobId).toBe(jobId);
    const family = done.report.families[0]!;
    expect(family.points.map((point) => point.id)).toEqual(['tales-teacher:fp32:2']);
    expect(family.points[0]!.samples).toEqual([2, 2]);
    expect(family.problems).toEqual(['tales-teacher:fp16:2 failed and is left out: the session could not be created']);
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
    const progress = events.filter((event) => event.type === 'report-progress');
    expect(progress.at(-1)).toMatchObject({ done: progress.at(-1)!.total, step: null });
    expect(progress.some((event) => event.type === 'report-progress' && event.step === 'measuring tales-teacher fp32 depth 2')).toBe(true);
  });

  it('stops on cancel with a message saying where the families measured before it are', async () => {
    const events: StudioEvent[] = [];
    const runner = runnerFor(events);
    const out = path.join(temporaryDir(), 'report');
    const { jobId } = runner.start({ quick: true, out, ep: 'cpu' });
    expect(runner.cancel(jobId)).toBe(true);
    await expect.poll(() => events.find((event) => event.type === 'error')).toMatchObject({ jobId, message: `Report cancelled; the tables of the families measured before it are in ${out}.` });
    expect(events.some((event) => event.type === 'report-done')).toBe(false);
  });

  it('refuses an unknown family before anything runs, listing the installed ones', () => {
    expect(() => runnerFor().start({ families: ['tales', 'sagas'], quick: true, ep: 'cpu' })).toThrow('No family named "sagas"; installed families: tales.');
  });
});
