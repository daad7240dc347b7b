import { describe, expect, it } from 'vitest';
import { manualClock } from '../testing/energy-fixtures';
import { EnergyMeter } from './energy-meter';
import { EnergyReadError, type EnergyReader, type ReaderProbe } from './energy-reader';
import { CpuTimeEstimateReader, estimateAssumptions, tdpClassFor } from './readers/cpu-time-estimate';
import { energyMetrics } from './energy-metrics';

/** A counter the test sets by hand; `fail` makes the next read throw. */
class FakeCounter implements EnergyReader {
  readonly estimated = false;
  joules = 0;
  fail: string | null = null;
  constructor(
    readonly id: string,
    private readonly probe: ReaderProbe = { available: true, source: `${id}:package-0` },
  ) {}
  readonly label = 'a fake counter';
  async available() {
    return this.probe;
  }
  async read() {
    if (this.fail) throw new EnergyReadError(this.fail);
    return this.joules;
  }
}

function setup(readers: EnergyReader[] = []) {
  const clock = manualClock();
  let cpuSeconds = 0;
  const estimate = new CpuTimeEstimateReader('AMD EPYC 7B13', () => cpuSeconds);
  const meter = new EnergyMeter([...readers, estimate], estimate, { now: clock.now, timer: false });
  return { meter, clock, estimate, burn: (seconds: number) => void (cpuSeconds += seconds) };
}

describe('the CPU-time estimate', () => {
  it('is CPU seconds × the TDP table’s watts per core, with a stated default and a ×0.5–×1.5 range', async () => {
    expect(tdpClassFor('AMD EPYC 7B13 64-Core Processor')).toMatchObject({ tdpWatts: 225, cores: 64 });
    expect(tdpClassFor('11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz')).toMatchObject({ name: 'Intel Core U (laptop)', tdpWatts: 15, cores: 4 });
    expect(tdpClassFor('Apple M2')).toMatchObject({ tdpWatts: 20, cores: 8 });
    expect(estimateAssumptions('Some Future CPU')).toMatchObject({ cpuClass: expect.stringMatching(/default: 65 W/), wattsPerCore: 65 / 8 });

    const { meter, clock, burn } = setup();
    const run = await meter.startRun();
    burn(2);
    clock.advance(1000);
    await meter.sample();
    const energy = await run.finish();
    expect(energy).toMatchObject({ source: 'estimated:cpu-time×tdp', estimated: true });
    expect(energy.joules).toBeCloseTo(2 * (225 / 64), 9);
    expect(energy.range!.low).toBeCloseTo(energy.joules * 0.5, 9);
    expect(energy.range!.high).toBeCloseTo(energy.joules * 1.5, 9);
    expect(energyMetrics(energy, 100)).toMatchObject({ energySource: 'estimated:cpu-time×tdp', meanWatts: expect.closeTo(7.03125, 6), joulesPerOutput: expect.closeTo(0.0703125, 9) });
  });
});

describe('EnergyMeter', () => {
  it('uses the best available reader, lists why the others are not, and measures without a range', async () => {
    const missing = new FakeCounter('rapl', { available: false, reason: 'no powercap' });
    const gpu = new FakeCounter('gpu');
    const { meter, clock } = setup([missing, gpu]);
    const status = await meter.status();
    expect(status).toMatchObject({ inUse: 'gpu', source: 'gpu:package-0', estimated: false });
    expect(status.readers.map(({ id, available, reason, inUse }) => ({ id, available, reason, inUse }))).toEqual([
      { id: 'rapl', available: false, reason: 'no powercap', inUse: false },
      { id: 'gpu', available: true, reason: null, inUse: true },
      { id: 'estimate', available: true, reason: null, inUse: false },
    ]);

    const run = await meter.startRun();
    gpu.joules = 30;
    clock.advance(1000);
    await meter.sample();
    expect(run.snapshot()).toMatchObject({ joules: 30, watts: 30, estimated: false, range: null });
  });

  it('sends each run its own cumulative joules on every sample', async () => {
    const gpu = new FakeCounter('gpu');
    const { meter, clock } = setup([gpu]);
    const first = await meter.startRun();
    const seen: number[] = [];
    first.onSample((snapshot) => seen.push(snapshot.joules));
    gpu.joules = 10;
    clock.advance(250);
    await meter.sample();
    const second = await meter.startRun();
    gpu.joules = 25;
    clock.advance(250);
    await meter.sample();
    expect(seen).toEqual([10, 25]);
    expect((await second.finish()).joules).toBe(15);
    expect((await first.finish()).elapsedMs).toBe(500);
  });

  it('sets a reader aside when it fails mid-run and carries on with the estimate, counting what came before', async () => {
    const gpu = new FakeCounter('gpu');
    const { meter, clock, burn } = setup([gpu]);
    const run = await meter.startRun();
    gpu.joules = 12;
    clock.advance(250);
    await meter.sample();
    gpu.fail = 'GPU 0 went backwards';
    await meter.sample();
    burn(64 / 225);
    clock.advance(250);
    await meter.sample();
    const energy = await run.finish();
    expect(energy).toMatchObject({ source: 'estimated:cpu-time×tdp', estimated: true });
    expect(energy.joules).toBeCloseTo(13, 9);
    const status = await meter.status();
    expect(status.readers.find((reader) => reader.id === 'gpu')).toMatchObject({ available: false, reason: expect.stringMatching(/set aside during a run: GPU 0 went backwards/) });
  });

  it('sets aside a counter that stops moving while a job runs', async () => {
    const gpu = new FakeCounter('gpu');
    gpu.joules = 5;
    const { meter, clock } = setup([gpu]);
    const run = await meter.startRun();
    for (let tick = 0; tick < 16; tick++) {
      clock.advance(250);
      await meter.sample();
    }
    expect(run.snapshot()).toMatchObject({ estimated: true, source: 'estimated:cpu-time×tdp' });
    expect((await meter.status()).readers[0]).toMatchObject({ reason: expect.stringMatching(/stopped moving/) });
  });
});

describe('EnergyMeter between jobs', () => {
  it('probes the readers again once its choice is old, so a battery unplugged later is used', async () => {
    let discharging = false;
    const battery = new FakeCounter('battery');
    battery.available = async () => (discharging ? { available: true, source: 'battery:BAT0' } : { available: false, reason: 'on AC power' });
    const { meter, clock } = setup([battery]);
    await (await meter.startRun()).finish();
    expect((await meter.status()).inUse).toBe('estimate');
    discharging = true;
    clock.advance(5000);
    await (await meter.startRun()).finish();
    expect((await meter.status()).inUse).toBe('estimate');
    clock.advance(30_000);
    const run = await meter.startRun();
    expect(run.snapshot()).toMatchObject({ source: 'battery:BAT0', estimated: false });
  });
});
