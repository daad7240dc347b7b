import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobEvent, StudioEvent } from '../contract';
import { runConditions } from '../host/family-specs';
import { DEFAULT_SETTINGS } from '../host/settings-store';
import { StudioHost } from '../host/studio-host';
import { fixtureVariants, sdFixture, temporaryDir } from '../testing/fixtures';
import { summarizeBatch } from './calibration';
import { CalibrationStore, deviceName, fileIdentity } from './calibration-store';

/** Two packages of one family built from the fixture's variants, with declared quality per point. */
function makeFamily(packages: Record<string, { role: string; points: [string, string, number][] }>): string {
  const root = temporaryDir('pareto-family-');
  for (const [name, spec] of Object.entries(packages)) {
    const dir = path.join(root, name);
    fs.cpSync(fixtureVariants(), dir, { recursive: true });
    const manifest = {
      schemaVersion: 1,
      kind: 'text',
      family: 'test-stories',
      name,
      role: spec.role,
      operatingPoints: spec.points.map(([precision, file, bitsPerByte]) => ({ precision, depth: 2, file: `onnx/${file}`, quality: { bitsPerByte } })),
    };
    fs.writeFileSync(path.join(dir, 'pareto.json'), JSON.stringify(manifest));
  }
  return root;
}

const TEXT_FAMILY = {
  'story-teacher': { role: 'teacher', points: [['fp32', 'model.onnx', 1.0], ['int8', 'model_int8.onnx', 1.05]] },
  'story-student': { role: 'student', points: [['fp16', 'model_fp16.onnx', 1.2]] },
} satisfies Parameters<typeof makeFamily>[0];

const hosts: StudioHost[] = [];
afterAll(() => Promise.all(hosts.map((host) => host.dispose())));

function newHost(dataDir: string, models: string): StudioHost {
  const host = new StudioHost({ dataDir, bundledModelsDir: models });
  hosts.push(host);
  return host;
}

/** Writes a calibration as `pareto calibrate` would have measured it: one cost per point, keyed by point id and file. */
function seedCalibration(dataDir: string, kind: 'text' | 'image', family: string, costs: Record<string, [file: string, cost: number]>): void {
  const batch = Object.entries(costs).map(([id, [file, cost]]) => ({ id, fileId: fileIdentity(file), samples: [cost] }));
  new CalibrationStore(dataDir).set(CalibrationStore.key(kind, family, 'cpu'), summarizeBatch(batch, runConditions(DEFAULT_SETTINGS, 'cpu'), 1));
}

function calibratedHost(models: string, costs: Record<string, number>): { host: StudioHost; dataDir: string } {
  const dataDir = temporaryDir();
  const files = Object.fromEntries(Object.entries(costs).map(([id, cost]) => {
    const [model, precision] = id.split(':') as [string, string];
    const file = TEXT_FAMILY[model as keyof typeof TEXT_FAMILY].points.find(([p]) => p === precision)![1];
    return [id, [path.join(models, model, 'onnx', file), cost] as [string, number]];
  }));
  seedCalibration(dataDir, 'text', 'test-stories', files);
  return { host: newHost(dataDir, models), dataDir };
}

type StartedEvent = Extract<JobEvent, { type: 'started' }>;

async function configOf(host: StudioHost, request: object): Promise<StartedEvent['config']> {
  const started: StartedEvent[] = [];
  const unsubscribe = host.onEvent((event) => event.type === 'started' && started.push(event));
  const { jobId } = (await host.call('startTextJob', request)) as { jobId: string };
  await expect.poll(() => started.some((event) => event.jobId === jobId)).toBe(true);
  unsubscribe();
  return started.find((event) => event.jobId === jobId)!.config;
}

describe('λ through the host', () => {
  const models = makeFamily(TEXT_FAMILY);
  const costs = { 'story-teacher:fp32:2': 10, 'story-teacher:int8:2': 5, 'story-student:fp16:2': 1 };

  it('λ = 1 picks the best quality, λ = 0 the cheapest, with no model named, and says what it predicts', async () => {
    const { host } = calibratedHost(models, costs);
    // The cheapest first: its prediction is the seeded cost only until a finished run refreshes the level.
    const cheapest = await configOf(host, { prompt: 'Once', maxNewTokens: 3, lambda: 0 });
    expect(cheapest.operatingPoint).toMatchObject({ model: 'story-student', precision: 'fp16' });
    expect(cheapest.operatingPoint!.msPerToken).toBeCloseTo(1, 6);
    expect(cheapest.operatingPoint!.msPerTokenRange!.low).toBeLessThan(1);
    expect(cheapest.operatingPoint!.msPerTokenRange!.high).toBeGreaterThan(1);
    const best = await configOf(host, { prompt: 'Once', maxNewTokens: 3, lambda: 1 });
    expect(best.operatingPoint).toMatchObject({ lambda: 1, model: 'story-teacher', precision: 'fp32', depth: 2, bitsPerByte: 1, calibrationNote: null });
    expect(best.precision).toBe('fp32');
  });

  it('uses the saved slider position when a request names neither model nor λ', async () => {
    const { host } = calibratedHost(models, costs);
    await host.invoke('updateSettings', { lambda: 0 });
    expect((await configOf(host, { prompt: 'Once', maxNewTokens: 3 })).operatingPoint?.model).toBe('story-student');
  });

  it('keeps a precision fixed by hand and chooses among what matches', async () => {
    const { host } = calibratedHost(models, costs);
    const config = await configOf(host, { prompt: 'Once', maxNewTokens: 3, lambda: 0, precision: 'int8' });
    expect(config.operatingPoint).toMatchObject({ model: 'story-teacher', precision: 'int8' });
    await expect(host.call('startTextJob', { prompt: 'Once', lambda: 0, precision: 'q4' })).rejects.toThrowError(/no operating point with measured quality matching the fixed knobs/);
  });

  it('measures an uncalibrated family in one interleaved batch before its first run, with progress, and says why', async () => {
    const dataDir = temporaryDir();
    const host = newHost(dataDir, models);
    const progress: Extract<StudioEvent, { type: 'calibration' }>[] = [];
    host.onEvent((event) => event.type === 'calibration' && progress.push(event));
    const config = await configOf(host, { prompt: 'Once', maxNewTokens: 3, lambda: 0.5 });
    expect(config.operatingPoint!.msPerToken).toBeGreaterThan(0);
    expect(config.operatingPoint!.calibrationNote).toMatch(/has not been measured on this device yet/);
    // Three points, one warm-up round and three counted ones, then the end of the batch.
    expect(progress).toHaveLength(3 * 4 + 1);
    expect(progress.at(-1)).toMatchObject({ family: 'test-stories', kind: 'text', done: 12, total: 12, point: null });
    const preview = await host.invoke('planPreview', { family: 'text', lambda: 0.5 });
    expect(preview.calibration).toMatchObject({ state: 'calibrated', device: deviceName() });
    expect(preview.points.every((point) => point.cost !== null)).toBe(true);
  });

  it('with dynamic precision, chooses only among models that have both variants', async () => {
    const { host } = calibratedHost(models, costs);
    const config = await configOf(host, { prompt: 'Once', maxNewTokens: 3, lambda: 0, dynamicPrecision: { cheap: 'int8', full: 'fp32' } });
    expect(config.operatingPoint).toMatchObject({ model: 'story-teacher', precision: 'fp32' });
    expect(config.precision).toBe('int8+fp32');
  });

  it('says why λ cannot apply to a model without a family, and refuses λ outside 0–1', async () => {
    const { host } = calibratedHost(models, costs);
    await expect(host.call('startTextJob', { model: fixtureVariants(), prompt: 'x', lambda: 0.5 })).rejects.toThrowError(/λ needs a model family/);
    await expect(host.call('startTextJob', { prompt: 'x', lambda: 1.5 })).rejects.toThrowError(/lambda: λ must be between 0 \(most efficient\) and 1 \(best quality\)/);
    await expect(host.call('planPreview', { family: 'text', lambda: -0.2 })).rejects.toThrowError(/λ must be between 0/);
  });

  it('a run refreshes the absolute level but never the relative costs, so the next choice stays', async () => {
    const { host, dataDir } = calibratedHost(models, costs);
    const before = new CalibrationStore(dataDir).get(CalibrationStore.key('text', 'test-stories', 'cpu'))!;
    const { jobId } = await host.invoke('startTextJob', { prompt: 'Once', maxNewTokens: 4, lambda: 0 });
    await expect.poll(() => new CalibrationStore(dataDir).get(CalibrationStore.key('text', 'test-stories', 'cpu'))!.level.runs, { timeout: 20_000 }).toBe(1);
    expect(jobId).toBeTruthy();
    const after = new CalibrationStore(dataDir).get(CalibrationStore.key('text', 'test-stories', 'cpu'))!;
    expect(after.points).toEqual(before.points);
    expect(after.level.value).not.toBe(before.level.value);
    expect((await host.invoke('planPreview', { family: 'text', lambda: 0 })).chosen).toBe('story-student:fp16:2');
  });
});

describe('the live preview (planPreview)', () => {
  const models = makeFamily(TEXT_FAMILY);
  const costs = { 'story-teacher:fp32:2': 10, 'story-teacher:int8:2': 5, 'story-student:fp16:2': 1 };

  it('shows every point with its quality, predicted cost, front and λ range, and runs nothing', async () => {
    const { host } = calibratedHost(models, costs);
    const events: StudioEvent[] = [];
    host.onEvent((event) => events.push(event));
    const preview = await host.invoke('planPreview', { family: 'text', lambda: 1 });
    expect(preview).toMatchObject({ kind: 'text', family: 'test-stories', unit: 'ms/token', chosen: 'story-teacher:fp32:2', note: null });
    const byId = Object.fromEntries(preview.points.map((point) => [point.id, point]));
    expect(Object.keys(byId).sort()).toEqual(['story-student:fp16:2', 'story-teacher:fp32:2', 'story-teacher:int8:2']);
    expect(preview.points.filter((point) => point.chosen).map((point) => point.id)).toEqual(['story-teacher:fp32:2']);
    expect(preview.points.every((point) => point.onFront)).toBe(true);
    expect(byId['story-student:fp16:2']!.lambdaRange).toMatchObject({ from: 0 });
    expect(byId['story-teacher:fp32:2']!.lambdaRange).toMatchObject({ to: 1 });
    expect(byId['story-teacher:fp32:2']!.cost!.median).toBeCloseTo(10, 6);
    expect(events).toEqual([]);
  });

  it('says the family is not measured here yet instead of guessing', async () => {
    const host = newHost(temporaryDir(), models);
    const preview = await host.invoke('planPreview', { family: 'text', lambda: 0.5 });
    expect(preview.chosen).toBeNull();
    expect(preview.calibration).toMatchObject({ state: 'missing', message: expect.stringMatching(/not been measured on this device yet/) });
    expect(preview.points.every((point) => point.cost === null && !point.chosen)).toBe(true);
  });

  it('a family with one point: every λ runs it, and the preview says there is nothing to trade', async () => {
    const single = makeFamily({ 'story-only': { role: 'student', points: [['fp32', 'model.onnx', 1.1]] } });
    const dataDir = temporaryDir();
    seedCalibration(dataDir, 'text', 'test-stories', { 'story-only:fp32:2': [path.join(single, 'story-only', 'onnx', 'model.onnx'), 2] });
    const host = newHost(dataDir, single);
    for (const lambda of [0, 0.5, 1]) {
      const preview = await host.invoke('planPreview', { family: 'text', lambda });
      expect(preview).toMatchObject({ chosen: 'story-only:fp32:2', note: expect.stringMatching(/nothing to trade/) });
      expect(preview.points[0]!.lambdaRange).toEqual({ from: 0, to: 1 });
    }
  });

  it('points of equal quality: the preview says λ can only pick the cheapest, and does', async () => {
    const equal = makeFamily({ 'story-a': { role: 'teacher', points: [['fp32', 'model.onnx', 1.1], ['int8', 'model_int8.onnx', 1.1]] } });
    const dataDir = temporaryDir();
    const file = (name: string) => path.join(equal, 'story-a', 'onnx', name);
    seedCalibration(dataDir, 'text', 'test-stories', { 'story-a:fp32:2': [file('model.onnx'), 3], 'story-a:int8:2': [file('model_int8.onnx'), 2] });
    const host = newHost(dataDir, equal);
    const preview = await host.invoke('planPreview', { family: 'text', lambda: 1 });
    expect(preview).toMatchObject({ chosen: 'story-a:int8:2', note: expect.stringMatching(/same quality/) });
  });
});

describe('a calibration that no longer holds is measured again, and the studio says why', () => {
  const models = makeFamily(TEXT_FAMILY);
  const costs = { 'story-teacher:fp32:2': 10, 'story-teacher:int8:2': 5, 'story-student:fp16:2': 1 };

  async function expectRecalibrated(dataDir: string, reason: RegExp) {
    const host = newHost(dataDir, models);
    const preview = await host.invoke('planPreview', { family: 'text', lambda: 0 });
    expect(preview.calibration).toMatchObject({ state: 'stale', message: expect.stringMatching(reason) });
    expect(preview.chosen).toBeNull();
    const config = await configOf(host, { prompt: 'Once', maxNewTokens: 2, lambda: 0 });
    expect(config.operatingPoint!.calibrationNote).toMatch(reason);
    expect((await host.invoke('planPreview', { family: 'text', lambda: 0 })).calibration.state).toBe('calibrated');
    const stored = JSON.parse(fs.readFileSync(path.join(dataDir, 'calibration.json'), 'utf8')) as { device: string };
    expect(stored.device).toBe(deviceName());
  }

  it('a corrupt calibration.json', async () => {
    const dataDir = temporaryDir();
    fs.writeFileSync(path.join(dataDir, 'calibration.json'), '{"version": 2, "device": ');
    await expectRecalibrated(dataDir, /calibration\.json was damaged \(kept as .*calibration\.json\.corrupt-.*\) and no good copy of it was left; the .* family is measured again/);
  });

  it('one measured on another device', async () => {
    const { dataDir } = calibratedHost(models, costs);
    const file = path.join(dataDir, 'calibration.json');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { device: string };
    fs.writeFileSync(file, JSON.stringify({ ...stored, device: 'Apple M9 · 64 cores · darwin-arm64' }));
    await expectRecalibrated(dataDir, /measured on another device \(Apple M9/);
  });

  it('one from the studio before relative costs (version 1)', async () => {
    const dataDir = temporaryDir();
    fs.writeFileSync(path.join(dataDir, 'calibration.json'), JSON.stringify({ 'cpu|/x/model.onnx|1|2|': { cost: 1.3, runs: 4, updatedAt: '2026-01-01' } }));
    await expectRecalibrated(dataDir, /older version of the studio/);
  });

  it('one whose model file changed on disk', async () => {
    const changed = makeFamily(TEXT_FAMILY);
    const dataDir = temporaryDir();
    const file = (model: string, name: string) => path.join(changed, model, 'onnx', name);
    seedCalibration(dataDir, 'text', 'test-stories', {
      'story-teacher:fp32:2': [file('story-teacher', 'model.onnx'), 10],
      'story-teacher:int8:2': [file('story-teacher', 'model_int8.onnx'), 5],
      'story-student:fp16:2': [file('story-student', 'model_fp16.onnx'), 1],
    });
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(file('story-teacher', 'model_int8.onnx'), later, later);
    const host = newHost(dataDir, changed);
    const preview = await host.invoke('planPreview', { family: 'text', lambda: 0 });
    expect(preview.calibration).toMatchObject({ state: 'stale', message: expect.stringMatching(/story-teacher int8 depth 2 was not part of the calibration \(its file changed\)/) });
  });
});

describe('λ for images through the host', () => {
  function makeImageFamily(): string {
    const root = temporaryDir('pareto-image-family-');
    const packages = { 'emoji-teacher': ['teacher', 50, 20], 'emoji-student': ['student', 4, 24] } as const;
    for (const [name, [role, steps, frechetDistance]] of Object.entries(packages)) {
      const dir = path.join(root, name);
      fs.cpSync(sdFixture(), dir, { recursive: true });
      const manifest = {
        schemaVersion: 1,
        kind: 'image',
        family: 'test-emoji',
        name,
        role,
        operatingPoints: [{ precision: 'fp32', steps, file: 'unet/model.onnx', quality: { frechetDistance, faithfulness: 0.5 } }],
      };
      fs.writeFileSync(path.join(dir, 'pareto.json'), JSON.stringify(manifest));
    }
    return root;
  }

  async function imagePointOf(host: StudioHost, request: object) {
    const started: Extract<StudioEvent, { type: 'image-started' }>[] = [];
    const unsubscribe = host.onEvent((event) => event.type === 'image-started' && started.push(event));
    const { jobId } = (await host.call('startImageJob', request)) as { jobId: string };
    await expect.poll(() => started.some((event) => event.jobId === jobId)).toBe(true);
    unsubscribe();
    return started.find((event) => event.jobId === jobId)!;
  }

  it('picks the lower Fréchet distance at λ = 1 and the cheaper image at λ = 0, and uses the family with no model named', async () => {
    const models = makeImageFamily();
    const unet = (name: string) => path.join(models, name, 'unet', 'model.onnx');
    const dataDir = temporaryDir();
    seedCalibration(dataDir, 'image', 'test-emoji', { 'emoji-teacher:fp32:50': [unet('emoji-teacher'), 2.0], 'emoji-student:fp32:4': [unet('emoji-student'), 0.1] });
    const host = newHost(dataDir, models);
    // The cheapest first: its prediction is the seeded cost only until a finished run refreshes the level.
    const cheapest = await imagePointOf(host, { prompt: 'a cat', lambda: 0, seed: 1 });
    expect(cheapest.operatingPoint).toMatchObject({ model: 'emoji-student', steps: 4, quality: expect.closeTo(20 / 24, 9) });
    expect(cheapest.operatingPoint!.sPerImage).toBeCloseTo(0.1, 6);
    expect(cheapest.parameters.steps).toBe(4);
    const best = await imagePointOf(host, { prompt: 'a cat', lambda: 1, seed: 1 });
    expect(best.operatingPoint).toMatchObject({ model: 'emoji-teacher', steps: 50, frechetDistance: 20 });
    expect(best.parameters.steps).toBe(50);
    await host.invoke('updateSettings', { lambda: 0 });
    expect((await imagePointOf(host, { prompt: 'a cat', seed: 1 })).operatingPoint?.model).toBe('emoji-student');
    expect((await host.invoke('planPreview', { family: 'image', lambda: 1 })).chosen).toBe('emoji-teacher:fp32:50');
  });
});
