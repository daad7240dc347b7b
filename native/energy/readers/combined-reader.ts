import type { EnergyReader, ReaderProbe } from '../energy-reader';

/**
 * Counters of separate parts of the machine read as one: the CPU package (RAPL) and an NVIDIA GPU,
 * so a run on CUDA counts the GPU's energy as well as the CPU's. Each part needs its own reader
 * instance: probing resets a reader's epoch.
 */
export class CombinedReader implements EnergyReader {
  readonly estimated = false;
  readonly minIntervalMs: number;

  constructor(
    readonly id: string,
    readonly label: string,
    private readonly parts: readonly EnergyReader[],
  ) {
    this.minIntervalMs = Math.max(0, ...parts.map((part) => part.minIntervalMs ?? 0));
  }

  async available(): Promise<ReaderProbe> {
    const sources: string[] = [];
    for (const part of this.parts) {
      const probe = await part.available();
      if (!probe.available) return { available: false, reason: `needs ${part.label}: ${probe.reason}` };
      sources.push(probe.source);
    }
    return { available: true, source: sources.join('+') };
  }

  async read(): Promise<number> {
    let joules = 0;
    for (const part of this.parts) joules += await part.read();
    return joules;
  }
}
