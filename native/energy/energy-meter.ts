import type { EnergyReaderInfo, EnergyStatus } from '../contract';
import { EnergyReadError, type EnergyReader } from './energy-reader';
import type { CpuTimeEstimateReader } from './readers/cpu-time-estimate';

/** What one running job has used so far. */
export interface EnergySnapshot {
  joules: number;
  /** Over the latest sample interval; null before the second sample. */
  watts: number | null;
  source: string;
  estimated: boolean;
  elapsedMs: number;
  range: { low: number; high: number } | null;
}

/** A counter that reads the same for this long while a job runs has stopped. */
const STUCK_AFTER_MS = 3000;
/** Ten readings a second: smooth live figures, at a cost far under 1 % of a core (see `pareto bench text`). */
export const DEFAULT_INTERVAL_MS = 100;
/** How long a choice of reader stands before the next job probes them again (AC unplugged, a driver loaded). */
const RESELECT_AFTER_MS = 30_000;

interface Reading {
  joules: number;
  atMs: number;
}

interface Active {
  reader: EnergyReader;
  source: string;
}

/** One job's share of the meter: joules from its start, stitched across a reader that failed mid-run. */
export class RunEnergy {
  /** Joules from readers used earlier in this run, before one failed. */
  private carriedJoules = 0;
  private startJoules: number;
  private anyEstimate: boolean;
  private readonly listeners = new Set<(snapshot: EnergySnapshot) => void>();

  constructor(
    private readonly meter: EnergyMeter,
    private active: Active,
    start: Reading,
    private readonly startedAtMs: number,
  ) {
    this.startJoules = start.joules;
    this.anyEstimate = active.reader.estimated;
  }

  /** Called by the meter on every sample while the run lasts. */
  onSample(listener: (snapshot: EnergySnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** @internal The meter moved to another reader: keep what this run used so far and count on from the new one. */
  switchTo(active: Active, start: Reading, lastGood: Reading | null): void {
    this.carriedJoules += lastGood ? Math.max(0, lastGood.joules - this.startJoules) : 0;
    this.active = active;
    this.startJoules = start.joules;
    this.anyEstimate ||= active.reader.estimated;
  }

  /** @internal */
  notify(): void {
    const snapshot = this.snapshot();
    for (const listener of this.listeners) listener(snapshot);
  }

  snapshot(): EnergySnapshot {
    const latest = this.meter.latest();
    const joules = this.carriedJoules + Math.max(0, (latest?.joules ?? this.startJoules) - this.startJoules);
    // Once a run has fallen back to the estimate, the whole run counts as estimated.
    const estimated = this.anyEstimate;
    return {
      joules,
      watts: this.meter.latestWatts(),
      source: this.active.source,
      estimated,
      elapsedMs: this.meter.now() - this.startedAtMs,
      range: estimated ? (this.meter.estimateRange(joules) ?? null) : null,
    };
  }

  /** Takes a last sample and leaves the meter; the run's energy is final. */
  async finish(): Promise<EnergySnapshot> {
    await this.meter.release(this);
    return this.snapshot();
  }
}

/**
 * The energy meter: the best available reader, sampled on a timer in the host process while any job
 * runs (never on the token or step path), shared by every running job. A reader whose figures cannot be
 * trusted (garbage, a negative delta, a counter stuck while work runs) is set aside with its reason
 * and the next one takes over; the CPU-time estimate, last, never fails.
 */
export class EnergyMeter {
  private active: Active | null = null;
  private selectedAtMs = -Infinity;
  /** Readers whose figures could not be trusted during a run: not used again in this process. */
  private readonly setAside = new Map<string, string>();
  private readonly runs = new Set<RunEnergy>();
  private readonly history: Reading[] = [];
  private lastChange: Reading | null = null;
  private timer: NodeJS.Timeout | null = null;
  private sampling: Promise<void> | null = null;
  private cost = { samples: 0, busyMs: 0, spanMs: 0, since: 0 };

  constructor(
    private readonly readers: readonly EnergyReader[],
    private readonly estimate: CpuTimeEstimateReader,
    private readonly options: { intervalMs?: number; now?: () => number; /** False: sampled only when told to (tests, benchmarks). */ timer?: boolean } = {},
  ) {}

  now(): number {
    return (this.options.now ?? (() => performance.now()))();
  }

  private async select(): Promise<Active> {
    if (this.active) return this.active;
    this.history.length = 0;
    this.lastChange = null;
    this.selectedAtMs = this.now();
    for (const reader of this.readers) {
      if (this.setAside.has(reader.id)) continue;
      const probe = await reader.available();
      if (probe.available) return (this.active = { reader, source: probe.source });
    }
    throw new Error('the energy meter has no reader, not even the CPU-time estimate');
  }

  /** Every reader, probed now, and which one is in use. */
  async status(): Promise<EnergyStatus> {
    const readers: EnergyReaderInfo[] = [];
    const active = await this.select();
    for (const reader of this.readers) {
      const inUse = reader === active.reader;
      const base = { id: reader.id, label: reader.label, estimated: reader.estimated, inUse };
      const setAside = this.setAside.get(reader.id);
      if (inUse) readers.push({ ...base, available: true, source: active.source, reason: null });
      else if (setAside) readers.push({ ...base, available: false, source: null, reason: setAside });
      else {
        const probe = await reader.available();
        readers.push({ ...base, available: probe.available, source: probe.available ? probe.source : null, reason: probe.available ? null : probe.reason });
      }
    }
    return {
      readers,
      inUse: active.reader.id,
      source: active.source,
      estimated: active.reader.estimated,
      onBattery: await this.onBattery(),
      assumptions: this.estimate.assumptions,
      overhead: this.overhead(),
    };
  }

  /** The meter's own cost so far: the time its samples held the host's thread, over the time its timer ran. */
  overhead(): EnergyStatus['overhead'] {
    const { samples, busyMs } = this.cost;
    const spanMs = this.cost.spanMs + (this.timer ? this.now() - this.cost.since : 0);
    return { samples, busyMs, spanMs, percentOfCore: spanMs > 0 ? (busyMs / spanMs) * 100 : null };
  }

  /** On battery (true), on AC (false), or unknown (null): the first reader that knows. */
  async onBattery(): Promise<boolean | null> {
    for (const reader of this.readers) {
      const state = await reader.onBattery?.();
      if (state !== undefined && state !== null) return state;
    }
    return null;
  }

  /** Starts metering one job; the timer runs while any job does. Between jobs, the best reader is chosen afresh now and then. */
  async startRun(): Promise<RunEnergy> {
    if (this.runs.size === 0 && this.now() - this.selectedAtMs >= RESELECT_AFTER_MS) this.active = null;
    const active = await this.select();
    await this.sampling;
    const start = await this.readOrFallBack();
    const run = new RunEnergy(this, this.active ?? active, start, this.now());
    this.runs.add(run);
    if (!this.timer && (this.options.timer ?? true)) {
      this.cost.since = this.now();
      this.timer = setInterval(() => void this.tick(), Math.max(this.options.intervalMs ?? DEFAULT_INTERVAL_MS, this.active?.reader.minIntervalMs ?? 0));
      this.timer.unref();
    }
    return run;
  }

  /** @internal */
  async release(run: RunEnergy): Promise<void> {
    await this.sampling;
    await this.sample();
    this.runs.delete(run);
    if (this.runs.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.cost.spanMs += this.now() - this.cost.since;
    }
  }

  latest(): Reading | null {
    return this.history.at(-1) ?? null;
  }

  latestWatts(): number | null {
    const [previous, last] = this.history.slice(-2);
    if (!previous || !last || last.atMs <= previous.atMs) return null;
    return (last.joules - previous.joules) / ((last.atMs - previous.atMs) / 1000);
  }

  estimateRange(joules: number): { low: number; high: number } | undefined {
    return this.estimate.range(joules);
  }

  private tick(): Promise<void> {
    // A slow reader (a tool that takes long to answer) skips ticks instead of piling up reads.
    this.sampling ??= this.sample().finally(() => (this.sampling = null));
    return this.sampling;
  }

  /**
   * Reads the active reader once, notifies every run; public for tests, which drive the meter without a timer.
   * Its cost is the time it holds the host's thread (process CPU time would count onnxruntime's threads
   * running beside it); a tool a reader runs costs its own process, not counted here.
   */
  async sample(): Promise<void> {
    const startedAt = performance.now();
    await this.readOrFallBack();
    for (const run of this.runs) run.notify();
    this.cost.samples += 1;
    this.cost.busyMs += performance.now() - startedAt;
  }

  private async readOrFallBack(): Promise<Reading> {
    const active = await this.select();
    try {
      const reading = { joules: await active.reader.read(), atMs: this.now() };
      this.checkMoving(active, reading);
      this.push(reading);
      return reading;
    } catch (error) {
      if (!(error instanceof EnergyReadError) && active.reader === this.estimate) throw error;
      return this.fallBack(active, error as Error);
    }
  }

  private checkMoving(active: Active, reading: Reading): void {
    if (active.reader.estimated || this.runs.size === 0) return;
    if (!this.lastChange || reading.joules !== this.lastChange.joules) this.lastChange = reading;
    else if (reading.atMs - this.lastChange.atMs >= STUCK_AFTER_MS) {
      throw new EnergyReadError(`the counter stopped moving (${reading.joules.toFixed(3)} J for ${((reading.atMs - this.lastChange.atMs) / 1000).toFixed(1)} s while a job ran).`);
    }
  }

  private async fallBack(failed: Active, error: Error): Promise<Reading> {
    this.setAside.set(failed.reader.id, `set aside during a run: ${error.message}`);
    const lastGood = this.latest();
    this.active = null;
    const next = await this.select();
    const start = { joules: await next.reader.read(), atMs: this.now() };
    this.push(start);
    for (const run of this.runs) run.switchTo(next, start, lastGood);
    return start;
  }

  private push(reading: Reading): void {
    this.history.push(reading);
    if (this.history.length > 2) this.history.shift();
  }
}
