/** Whether a reader can be used here, and if not, why, in words a user can act on. */
export type ReaderProbe = { available: true; source: string } | { available: false; reason: string };

/**
 * One source of energy figures (a hardware counter, a power sensor, or the CPU-time estimate).
 * `read()` returns joules since an epoch of the reader's own choosing: callers only ever take
 * differences between two reads. A reader that can no longer be trusted throws EnergyReadError.
 */
export interface EnergyReader {
  /** Stable id, as `pareto energy` lists it: rapl, nvidia-smi, windows-emi, macos-battery, linux-battery, windows-battery, estimate. */
  readonly id: string;
  readonly label: string;
  /** True for the CPU-time model: its figures are estimates, never measurements. */
  readonly estimated: boolean;
  available(): Promise<ReaderProbe>;
  read(): Promise<number>;
  /** On battery power (true), on AC (false), or not known to this reader (null). */
  onBattery?(): Promise<boolean | null>;
  /** For estimates: the low–high joules a reading of `joules` may really be. */
  range?(joules: number): { low: number; high: number };
  /** Readers that run a tool each read ask to be sampled no more often than this. */
  readonly minIntervalMs?: number;
}

/** A reading that cannot be trusted (garbage, a counter that went backwards): the meter stops using the reader. */
export class EnergyReadError extends Error {
  override name = 'EnergyReadError';
}

/** Parses a whole non-negative number written by the kernel or a tool, or throws naming the file and what it held. */
export function parseCount(text: string, where: string): number {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) throw new EnergyReadError(`${where} holds "${trimmed.slice(0, 40)}", not a number.`);
  return Number(trimmed);
}
