import { CommandError, runCommand, type RunCommand } from '../command-runner';
import { EnergyReadError, type EnergyReader, type ReaderProbe } from '../energy-reader';
import { PowerIntegrator } from '../power-integrator';

const TIMEOUT_MS = 2000;
const SIGNED_64 = 2n ** 64n;

interface SmartBattery {
  externalConnected: boolean;
  /** mV and mA; the current is negative while discharging. */
  voltage: number | null;
  amperage: number | null;
  /** The machine's input power from the adapter (PowerTelemetryData.SystemPowerIn, mW), where the Mac reports it. */
  systemPowerInMw: number | null;
}

/** ioreg prints a negative current as its unsigned 64-bit pattern on some macOS versions. */
function signed(raw: string): number {
  const value = BigInt(raw);
  return Number(value >= SIGNED_64 / 2n ? value - SIGNED_64 : value);
}

function integerField(output: string, name: string): string | null {
  return new RegExp(`"${name}"\\s*=\\s*(-?\\d+)`).exec(output)?.[1] ?? null;
}

export function parseSmartBattery(output: string): SmartBattery {
  if (!/AppleSmartBattery/.test(output)) throw new EnergyReadError('ioreg lists no AppleSmartBattery: this Mac has no battery.');
  const connected = /"ExternalConnected"\s*=\s*(Yes|No)/.exec(output)?.[1];
  if (!connected) throw new EnergyReadError('ioreg printed AppleSmartBattery without ExternalConnected.');
  const voltage = integerField(output, 'Voltage');
  const amperage = integerField(output, 'InstantAmperage') ?? integerField(output, 'Amperage');
  const powerIn = /"SystemPowerIn"\s*=\s*(\d+)/.exec(output)?.[1];
  return {
    externalConnected: connected === 'Yes',
    voltage: voltage === null ? null : Number(voltage),
    amperage: amperage === null ? null : signed(amperage),
    systemPowerInMw: powerIn === undefined ? null : Number(powerIn),
  };
}

/** Watts the machine draws now, and what measured it, or why nothing can. */
function machinePower(battery: SmartBattery): { watts: number; source: string } | { reason: string } {
  if (battery.externalConnected) {
    if (battery.systemPowerInMw !== null) return { watts: battery.systemPowerInMw / 1000, source: 'ioreg:adapter-power' };
    return { reason: 'on AC power and this Mac reports no adapter power (PowerTelemetryData.SystemPowerIn).' };
  }
  if (battery.voltage === null || battery.amperage === null) return { reason: 'the battery reports no Voltage and Amperage.' };
  return { watts: (Math.abs(battery.amperage) * battery.voltage) / 1e6, source: 'ioreg:battery-discharge' };
}

/** macOS: the machine's power from `ioreg -rn AppleSmartBattery`, on battery (current × voltage) or on the adapter (SystemPowerIn). */
export class MacBatteryReader implements EnergyReader {
  readonly id = 'macos-battery';
  readonly label = 'macOS battery and adapter power (ioreg)';
  readonly estimated = false;
  readonly minIntervalMs = 1000;
  private integrator: PowerIntegrator;
  private source: string | null = null;

  constructor(
    private readonly run: RunCommand = runCommand,
    private readonly platform: NodeJS.Platform = process.platform,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.integrator = new PowerIntegrator(now);
  }

  private async battery(): Promise<SmartBattery> {
    return parseSmartBattery(await this.run('ioreg', ['-rn', 'AppleSmartBattery'], TIMEOUT_MS));
  }

  async available(): Promise<ReaderProbe> {
    if (this.platform !== 'darwin') return { available: false, reason: 'not macOS: ioreg exists on macOS only.' };
    try {
      const power = machinePower(await this.battery());
      if ('reason' in power) return { available: false, reason: power.reason };
      this.source = power.source;
      this.integrator = new PowerIntegrator(this.now);
      this.integrator.add(power.watts, 'ioreg');
      return { available: true, source: power.source };
    } catch (error) {
      return { available: false, reason: error instanceof CommandError && error.kind === 'missing' ? 'ioreg is not available.' : (error as Error).message };
    }
  }

  async onBattery(): Promise<boolean | null> {
    if (this.platform !== 'darwin') return null;
    try {
      return !(await this.battery()).externalConnected;
    } catch {
      return null;
    }
  }

  async read(): Promise<number> {
    const power = machinePower(await this.battery());
    if ('reason' in power) throw new EnergyReadError(power.reason);
    if (power.source !== this.source) throw new EnergyReadError(`the power source changed mid-run (${this.source} → ${power.source}).`);
    return this.integrator.add(power.watts, 'ioreg');
  }
}
