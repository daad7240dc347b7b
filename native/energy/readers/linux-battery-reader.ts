import path from 'node:path';
import { EnergyReadError, parseCount, type EnergyReader, type ReaderProbe } from '../energy-reader';
import { PowerIntegrator } from '../power-integrator';
import { listDir, readOptional, readSysfsText, type ReadText } from './sysfs';

/** µWh → J. */
const JOULES_PER_UWH = 3600 / 1e6;

/**
 * Linux batteries (`/sys/class/power_supply/BAT*`) while they discharge: the whole machine's power,
 * from `power_now`, or `current_now × voltage_now`, or, where a battery reports neither, the fall of `energy_now`.
 */
export class LinuxBatteryReader implements EnergyReader {
  readonly id = 'linux-battery';
  readonly label = 'Linux battery (power_supply)';
  readonly estimated = false;
  private batteries: string[] = [];
  private integrator: PowerIntegrator;
  private firstEnergyUwh: number | null = null;

  constructor(
    private readonly root = '/sys/class/power_supply',
    private readonly readText: ReadText = readSysfsText,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.integrator = new PowerIntegrator(now);
  }

  private batteryDirs(): string[] {
    return (listDir(this.root) ?? []).filter((name) => /^BAT\w*$/.test(name)).map((name) => path.join(this.root, name));
  }

  private field(dir: string, name: string): string | null {
    return readOptional(this.readText, path.join(dir, name));
  }

  async available(): Promise<ReaderProbe> {
    const dirs = this.batteryDirs();
    if (dirs.length === 0) return { available: false, reason: `no battery: ${this.root} has no BAT* supply.` };
    const discharging = dirs.filter((dir) => this.field(dir, 'status') === 'Discharging');
    if (discharging.length === 0) {
      const states = dirs.map((dir) => `${path.basename(dir)} ${this.field(dir, 'status') ?? 'status unknown'}`).join(', ');
      return { available: false, reason: `on AC power (${states}): a battery measures the machine only while it discharges.` };
    }
    this.batteries = discharging;
    this.integrator = new PowerIntegrator(this.now);
    this.firstEnergyUwh = null;
    try {
      await this.read();
    } catch (error) {
      return { available: false, reason: (error as Error).message };
    }
    return { available: true, source: `battery:${discharging.map((dir) => path.basename(dir)).join('+')}` };
  }

  async onBattery(): Promise<boolean | null> {
    const dirs = this.batteryDirs();
    if (dirs.some((dir) => this.field(dir, 'status') === 'Discharging')) return true;
    const mains = (listDir(this.root) ?? []).map((name) => path.join(this.root, name)).filter((dir) => this.field(dir, 'type') === 'Mains');
    if (mains.some((dir) => this.field(dir, 'online') === '1') || dirs.length > 0) return false;
    return null;
  }

  /** Watts drawn from one battery now, or null when it reports only its stored energy. */
  private watts(dir: string): number | null {
    const where = (name: string) => path.join(dir, name);
    const power = this.field(dir, 'power_now');
    if (power !== null) return parseCount(power, where('power_now')) / 1e6;
    const current = this.field(dir, 'current_now');
    const voltage = this.field(dir, 'voltage_now');
    if (current !== null && voltage !== null) return (parseCount(current, where('current_now')) * parseCount(voltage, where('voltage_now'))) / 1e12;
    return null;
  }

  async read(): Promise<number> {
    let watts = 0;
    let energyUwh = 0;
    let fromEnergy = false;
    for (const dir of this.batteries) {
      const status = this.field(dir, 'status');
      if (status !== 'Discharging') throw new EnergyReadError(`${path.basename(dir)} stopped discharging (${status ?? 'no status'}): the battery no longer measures the machine.`);
      const drawn = this.watts(dir);
      if (drawn !== null) {
        watts += drawn;
        continue;
      }
      const energy = this.field(dir, 'energy_now');
      if (energy === null) throw new EnergyReadError(`${path.basename(dir)} reports none of power_now, current_now × voltage_now or energy_now.`);
      energyUwh += parseCount(energy, path.join(dir, 'energy_now'));
      fromEnergy = true;
    }
    if (!fromEnergy) return this.integrator.add(watts, 'the battery');
    this.firstEnergyUwh ??= energyUwh;
    const used = this.firstEnergyUwh - energyUwh;
    if (used < 0) throw new EnergyReadError(`energy_now rose (${this.firstEnergyUwh} → ${energyUwh} µWh) while the battery said it was discharging.`);
    return this.integrator.add(watts, 'the battery') + used * JOULES_PER_UWH;
  }
}
