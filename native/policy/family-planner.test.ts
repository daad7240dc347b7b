import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobEvent, StudioEvent } from '../contract';
import { StudioHost } from '../host/studio-host';
import { fixtureVariants, sdFixture, temporaryDir } from '../testing/fixtures';
import { CalibrationStore } from './calibration-store';

/** Two packages of one family built from the fixture's variants, with declared quality per point. */
function makeFamily(): string {
  const root = temporaryDir('pareto-family-');
  const packages = {
    'story-teacher': { role: 'teacher', points: [['fp32', 'model.onnx', 1.0], ['int8', 'model_int8.onnx', 1.05]] },
    'story-student': { role: 'student', points: [['fp16', 'model_fp16.onnx', 1.2]] },
  } as const;
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

const hosts: StudioHost[] = [];
const dataDirOf = new Map<StudioHost, string>();
afterAll(() => Promise.all(hosts.map((host) => host.dispose())));

function hostWithCosts(models: string, costs: Record<string, number>): StudioHost {
  const dataDir = temporaryDir();
  const calibration = new CalibrationStore(dataDir);
  for (const [file, ms] of Object.entries(costs)) calibration.record(CalibrationStore.key(path.join(models, file), 'cpu'), ms);
  const host = new StudioHost({ dataDir, bundledModelsDir: models });
  hosts.push(host);
  dataDirOf.set(host, dataDir);
  return host;
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
  const models = makeFamily();
  const costs = { 'story-teacher/onnx/model.onnx': 10, 'story-teacher/onnx/model_int8.onnx': 5, 'story-student/onnx/model_fp16.onnx': 1 };

  it('λ = 1 picks the best quality, λ = 0 the cheapest, with no model named', async () => {
    const host = hostWithCosts(models, costs);
    const best = await configOf(host, { prompt: 'Once', maxNewTokens: 3, lambda: 1 });
    expect(best.operatingPoint).toMatchObject({ lambda: 1, model: 'story-teacher', precision: 'fp32', depth: 2, bitsPerByte: 1 });
    expect(best.precision).toBe('fp32');
    const cheapest = await configOf(host, { prompt: 'Once', maxNewTokens: 3, lambda: 0 });
    expect(cheapest.operatingPoint).toMatchObject({ model: 'story-student', precision: 'fp16', msPerToken: 1 });
    expect(cheapest.precision).toBe('fp16');
  });

  it('uses the saved slider position when a request names neither model nor λ', async () => {
    const host = hostWithCosts(models, costs);
    await host.invoke('updateSettings', { lambda: 0 });
    expect((await configOf(host, { prompt: 'Once', maxNewTokens: 3 })).operatingPoint?.model).toBe('story-student');
  });

  it('keeps a precision fixed by hand and chooses among what matches', async () => {
    const host = hostWithCosts(models, costs);
    const config = await configOf(host, { prompt: 'Once', maxNewTokens: 3, lambda: 0, precision: 'int8' });
    expect(config.operatingPoint).toMatchObject({ model: 'story-teacher', precision: 'int8' });
  });

  it('measures a point on first use and refines the estimate from every run', async () => {
    const host = hostWithCosts(models, {});
    const config = await configOf(host, { prompt: 'Once', maxNewTokens: 3, lambda: 0.5 });
    expect(config.operatingPoint!.msPerToken).toBeGreaterThan(0);
    const calibration = new CalibrationStore(dataDirOf.get(host)!);
    for (const file of Object.keys(costs)) expect(calibration.cost(CalibrationStore.key(path.join(models, file), 'cpu'))).toBeGreaterThan(0);
  });

  it('with dynamic precision, chooses only among models that have both variants', async () => {
    const host = hostWithCosts(models, costs);
    const config = await configOf(host, { prompt: 'Once', maxNewTokens: 3, lambda: 0, dynamicPrecision: { cheap: 'int8', full: 'fp32' } });
    expect(config.operatingPoint).toMatchObject({ model: 'story-teacher', precision: 'fp32' });
    expect(config.precision).toBe('int8+fp32');
  });

  it('says why λ cannot apply to a model without a family', async () => {
    const host = hostWithCosts(models, costs);
    await expect(host.call('startTextJob', { model: fixtureVariants(), prompt: 'x', lambda: 0.5 })).rejects.toThrowError(/λ needs a model family/);
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
    const calibration = new CalibrationStore(dataDir);
    calibration.record(CalibrationStore.key(unet('emoji-teacher'), 'cpu', 'steps=50'), 2.0);
    calibration.record(CalibrationStore.key(unet('emoji-student'), 'cpu', 'steps=4'), 0.1);
    const host = new StudioHost({ dataDir, bundledModelsDir: models });
    hosts.push(host);
    const best = await imagePointOf(host, { prompt: 'a cat', lambda: 1, seed: 1 });
    expect(best.operatingPoint).toMatchObject({ model: 'emoji-teacher', steps: 50, frechetDistance: 20 });
    expect(best.parameters.steps).toBe(50);
    const cheapest = await imagePointOf(host, { prompt: 'a cat', lambda: 0, seed: 1 });
    expect(cheapest.operatingPoint).toMatchObject({ model: 'emoji-student', steps: 4, quality: expect.closeTo(20 / 24, 9) });
    expect(cheapest.parameters.steps).toBe(4);
    await host.invoke('updateSettings', { lambda: 0 });
    expect((await imagePointOf(host, { prompt: 'a cat', seed: 1 })).operatingPoint?.model).toBe('emoji-student');
  });
});
