import os from 'node:os';
import type { EnergyAssumptions } from '../../contract';
import type { EnergyReader, ReaderProbe } from '../energy-reader';

interface TdpClass {
  match: RegExp;
  name: string;
  /** Package power at sustained load (TDP / base power) and the cores it feeds. */
  tdpWatts: number;
  cores: number;
}

/**
 * Typical package power per CPU class, for the per-core figure the estimate multiplies CPU time by.
 * Rough on purpose: the range around it (RANGE) is part of every estimate.
 */
const TDP_TABLE: readonly TdpClass[] = [
  { match: /Apple M\d (Max|Ultra)/, name: 'Apple M-series Max/Ultra', tdpWatts: 60, cores: 16 },
  { match: /Apple M\d/, name: 'Apple M-series', tdpWatts: 20, cores: 8 },
  { match: /Core\(TM\) Ultra \d+ \d+[UV]/, name: 'Intel Core Ultra U/V (laptop)', tdpWatts: 15, cores: 12 },
  { match: /Core\(TM\) Ultra \d+ \d+H/, name: 'Intel Core Ultra H (laptop)', tdpWatts: 28, cores: 16 },
  { match: /Core\(TM\) i\d-\d+[GU]\d?\b/, name: 'Intel Core U (laptop)', tdpWatts: 15, cores: 4 },
  { match: /Core\(TM\) i\d-\d+H/, name: 'Intel Core H (laptop)', tdpWatts: 45, cores: 8 },
  { match: /Core\(TM\) i\d-\d+/, name: 'Intel Core (desktop)', tdpWatts: 65, cores: 8 },
  { match: /Xeon/, name: 'Intel Xeon (server)', tdpWatts: 150, cores: 24 },
  { match: /Ryzen .*\d+U\b/, name: 'AMD Ryzen U (laptop)', tdpWatts: 15, cores: 8 },
  { match: /Ryzen .*\d+H[SX]?\b/, name: 'AMD Ryzen H (laptop)', tdpWatts: 45, cores: 8 },
  { match: /Ryzen/, name: 'AMD Ryzen (desktop)', tdpWatts: 65, cores: 8 },
  { match: /EPYC/, name: 'AMD EPYC (server)', tdpWatts: 225, cores: 64 },
  { match: /Snapdragon|Cortex|ARM|aarch64/i, name: 'ARM laptop/SoC', tdpWatts: 12, cores: 8 },
];

/** A CPU this table does not know: a 65 W desktop part with 8 cores. */
const DEFAULT_CLASS: TdpClass = { match: /$^/, name: 'unknown CPU (default: 65 W desktop, 8 cores)', tdpWatts: 65, cores: 8 };

/**
 * Low: cores at efficient clocks draw about half their TDP share; high: all-core turbo runs about 1.5×
 * TDP (Intel PL2, AMD PPT) and the uncore adds to it.
 */
const RANGE = { low: 0.5, high: 1.5 };

export function tdpClassFor(cpuModel: string): TdpClass {
  return TDP_TABLE.find((entry) => entry.match.test(cpuModel)) ?? DEFAULT_CLASS;
}

export function estimateAssumptions(cpuModel: string): EnergyAssumptions {
  const tdp = tdpClassFor(cpuModel);
  const wattsPerCore = tdp.tdpWatts / tdp.cores;
  return {
    formula: 'energy ≈ process CPU seconds × watts per busy core',
    cpuModel,
    cpuClass: tdp.name,
    tdpWatts: tdp.tdpWatts,
    cores: tdp.cores,
    wattsPerCore,
    lowFactor: RANGE.low,
    highFactor: RANGE.high,
    excludes: 'idle and base power, memory, GPU, display and other processes',
  };
}

/** Joules of a reading as a low–high range: what the per-core power could be, given the table's roughness. */
export function estimateRange(joules: number): { low: number; high: number } {
  return { low: joules * RANGE.low, high: joules * RANGE.high };
}

/**
 * The last resort, always available and always labelled "estimated": this process's CPU time (every
 * thread, onnxruntime's included) × a per-core power from the TDP table.
 */
export class CpuTimeEstimateReader implements EnergyReader {
  readonly id = 'estimate';
  readonly label = 'Estimate from CPU time × TDP per core';
  readonly estimated = true;
  readonly assumptions: EnergyAssumptions;

  constructor(
    cpuModel = os.cpus()[0]?.model ?? 'unknown',
    private readonly cpuSeconds: () => number = () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    },
  ) {
    this.assumptions = estimateAssumptions(cpuModel.trim());
  }

  async available(): Promise<ReaderProbe> {
    return { available: true, source: 'estimated:cpu-time×tdp' };
  }

  async read(): Promise<number> {
    return this.cpuSeconds() * this.assumptions.wattsPerCore;
  }

  range(joules: number): { low: number; high: number } {
    return estimateRange(joules);
  }
}
