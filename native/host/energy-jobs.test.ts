import { afterEach, describe, expect, it } from 'vitest';
import { isImageJobEvent, type EnergyEvent, type StudioEvent } from '../contract';
import { EnergyMeter } from '../energy';
import { CpuTimeEstimateReader } from '../energy/readers/cpu-time-estimate';
import { RaplReader } from '../energy/readers/rapl-reader';
import { sdFixture, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { defaultModelsDir } from './paths';
import { StudioHost } from './studio-host';

const hosts: StudioHost[] = [];
afterEach(async () => Promise.all(hosts.splice(0).map((host) => host.dispose())));

/** A host whose meter samples every 20 ms, so even a short test run sees several live readings. */
function makeHost(options: { bundled?: boolean } = {}): StudioHost {
  const estimate = new CpuTimeEstimateReader();
  const meter = new EnergyMeter([new RaplReader('/no/such/powercap'), estimate], estimate, { intervalMs: 20 });
  const host = new StudioHost({ dataDir: temporaryDir(), bundledModelsDir: options.bundled ? defaultModelsDir() : null, modelPaths: options.bundled ? [] : [tinyStoriesOnnx(), sdFixture()], energyMeter: meter });
  hosts.push(host);
  return host;
}

/** Starts a job and collects its events up to the one that ends it. */
async function runJob(host: StudioHost, start: () => Promise<{ jobId: string }>): Promise<Exclude<StudioEvent, { type: 'host' }>[]> {
  const events: Exclude<StudioEvent, { type: 'host' }>[] = [];
  let jobId: string | null = null;
  let finish = () => {};
  const ended = new Promise<void>((resolve) => (finish = resolve));
  const seen: StudioEvent[] = [];
  const handle = (event: StudioEvent) => {
    if (event.type === 'host' || event.jobId !== jobId) return;
    events.push(event);
    if (event.type === 'done' || event.type === 'image-done' || event.type === 'error') finish();
  };
  const off = host.onEvent((event) => (jobId ? handle(event) : seen.push(event)));
  jobId = (await start()).jobId;
  seen.splice(0).forEach(handle);
  await ended;
  off();
  return events;
}

const energyEvents = (events: readonly StudioEvent[]) => events.filter((event): event is EnergyEvent => event.type === 'energy');

describe('energy in jobs', () => {
  it('streams live energy while a story runs and ends with the run’s energy, estimated here, with its range', async () => {
    const host = makeHost();
    const events = await runJob(host, () => host.invoke('startTextJob', { model: tinyStoriesOnnx(), prompt: 'Once upon a time', maxNewTokens: 400, minNewTokens: 400, doSample: false }));
    const done = events.at(-1)!;
    if (done.type !== 'done') throw new Error(`the job ended with ${done.type}`);
    const live = energyEvents(events);
    expect(live.length).toBeGreaterThanOrEqual(2);
    expect(events.indexOf(live[0]!)).toBeLessThan(events.findIndex((event) => event.type === 'tokens' && events.indexOf(event) > events.indexOf(live[0]!)) + 1 || Infinity);
    live.forEach((event, index) => {
      expect(event).toMatchObject({ source: 'estimated:cpu-time×tdp', estimated: true });
      if (index > 0) expect(event.joules).toBeGreaterThanOrEqual(live[index - 1]!.joules);
    });
    const { metrics } = done.result;
    expect(metrics.energySource).toBe('estimated:cpu-time×tdp');
    expect(metrics.energyJ).toBeGreaterThan(0);
    expect(metrics.energyJ).toBeCloseTo(live.at(-1)!.joules, 9);
    expect(metrics.energyJRange!.low).toBeLessThan(metrics.energyJ!);
    expect(metrics.energyJRange!.high).toBeGreaterThan(metrics.energyJ!);
    expect(metrics.joulesPerOutput).toBeCloseTo(metrics.energyJ! / 400, 9);
    expect(metrics.meanWatts).toBeGreaterThan(0);
  });

  it('meters image jobs the same way, per image', async () => {
    const host = makeHost();
    const events = await runJob(host, () => host.invoke('startImageJob', { model: sdFixture(), prompt: 'a red square', steps: 6, seed: 1 }));
    const done = events.at(-1)!;
    if (done.type !== 'image-done') throw new Error(`the job ended with ${done.type}`);
    expect(events.every((event) => isImageJobEvent(event))).toBe(true);
    expect(energyEvents(events).length).toBeGreaterThanOrEqual(1);
    expect(done.images[0]!.metrics).toMatchObject({ energySource: 'estimated:cpu-time×tdp', energyJ: expect.any(Number), energyJRange: { low: expect.any(Number), high: expect.any(Number) } });
    expect(done.images[0]!.metrics.joulesPerOutput).toBe(done.images[0]!.metrics.energyJ);
  });

  it('lists every reader with why it cannot be used, and the estimate’s assumptions', async () => {
    const status = await makeHost().invoke('getEnergyStatus');
    expect(status).toMatchObject({ inUse: 'estimate', source: 'estimated:cpu-time×tdp', estimated: true });
    expect(status.readers[0]).toMatchObject({ id: 'rapl', available: false, reason: expect.stringMatching(/does not exist/) });
    expect(status.assumptions.formula).toMatch(/CPU seconds × watts per busy core/);
  });

  it('holds a latency target on the bundled family: each run’s plan costs no more than the target, and says what it changed', async () => {
    const host = makeHost({ bundled: true });
    const request = { prompt: 'Once upon a time', maxNewTokens: 48, minNewTokens: 48, doSample: false } as const;
    // A run at λ 1 with the controller off calibrates the family and shows the best-quality point's cost.
    const free = await runJob(host, () => host.invoke('startTextJob', { ...request, lambda: 1 }));
    const freePoint = free.find((event) => event.type === 'started')!;
    if (freePoint.type !== 'started') throw new Error('no started event');
    const target = freePoint.config.operatingPoint!.msPerToken * 0.8;
    await host.invoke('updateSettings', { energyController: { enabled: true, batteryLambdaShift: 0.3, latencyMsPerToken: target, latencySPerImage: null, energyJPerToken: null, energyJPerImage: null } });

    const figures = [];
    for (let run = 0; run < 4; run++) {
      const events = await runJob(host, () => host.invoke('startTextJob', { ...request, lambda: 1 }));
      const done = events.at(-1)!;
      if (done.type !== 'done') throw new Error(`the job ended with ${done.type}`);
      const { budget, operatingPoint } = done.result.config;
      expect(budget).toMatchObject({ lambdaFrom: 1, summary: expect.stringMatching(/latency target|within budget/) });
      const outOfReach = /cannot be met/.test(budget!.reasons.join(' '));
      if (!outOfReach) expect(operatingPoint!.msPerToken).toBeLessThanOrEqual(target);
      figures.push({ summary: budget!.summary, planned: operatingPoint!.msPerToken, measured: done.result.metrics.msPerToken, joulesPerToken: done.result.metrics.joulesPerOutput });
    }
    console.log(`latency target ${target.toFixed(3)} ms/token (0.8 × the λ 1 point):\n${figures.map((f) => `  ${f.summary}: planned ${f.planned.toFixed(3)}, measured ${f.measured?.toFixed(3)} ms/token, ${f.joulesPerToken?.toExponential(2)} J/token`).join('\n')}`);
  }, 300_000); // The first λ run times every point of the family (24 sessions) on this device.
});
