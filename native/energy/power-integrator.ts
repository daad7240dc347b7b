import { EnergyReadError } from './energy-reader';

/**
 * Turns power samples (watts) into joules since the first sample, by the trapezoid rule:
 * for sensors that report power only (battery discharge rate, a GPU's power draw).
 */
export class PowerIntegrator {
  private joules = 0;
  private last: { watts: number; atMs: number } | null = null;

  constructor(private readonly now: () => number = () => performance.now()) {}

  add(watts: number, where: string): number {
    if (!Number.isFinite(watts) || watts < 0) throw new EnergyReadError(`${where} reported ${watts} W, which cannot be a power draw.`);
    const atMs = this.now();
    if (this.last) this.joules += ((this.last.watts + watts) / 2) * ((atMs - this.last.atMs) / 1000);
    this.last = { watts, atMs };
    return this.joules;
  }
}
