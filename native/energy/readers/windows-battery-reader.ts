import { CommandError, runCommand, type RunCommand } from '../command-runner';
import { EnergyReadError, type EnergyReader, type ReaderProbe } from '../energy-reader';
import { PowerIntegrator } from '../power-integrator';

const TIMEOUT_MS = 5000;
const QUERY = 'Get-CimInstance -Namespace root/wmi -ClassName BatteryStatus | Select-Object InstanceName,PowerOnline,Discharging,DischargeRate | ConvertTo-Json -Compress';

interface BatteryStatus {
  InstanceName: string;
  PowerOnline: boolean;
  Discharging: boolean;
  /** mW. */
  DischargeRate: number;
}

export function parseBatteryStatus(output: string): BatteryStatus[] {
  if (output.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    throw new EnergyReadError(`PowerShell printed "${output.trim().slice(0, 60)}", not BatteryStatus JSON.`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((entry) => {
    const status = entry as Partial<BatteryStatus>;
    if (typeof status.Discharging !== 'boolean' || typeof status.DischargeRate !== 'number') throw new EnergyReadError('BatteryStatus lacks Discharging or DischargeRate.');
    return { InstanceName: String(status.InstanceName ?? 'battery'), PowerOnline: status.PowerOnline === true, Discharging: status.Discharging, DischargeRate: status.DischargeRate };
  });
}

/** Windows batteries' discharge rate (WMI BatteryStatus, mW) through PowerShell, while they discharge. */
export class WindowsBatteryReader implements EnergyReader {
  readonly id = 'windows-battery';
  readonly label = 'Windows battery discharge rate (WMI)';
  readonly estimated = false;
  /** PowerShell takes a few hundred milliseconds to start. */
  readonly minIntervalMs = 2000;
  private integrator: PowerIntegrator;

  constructor(
    private readonly run: RunCommand = runCommand,
    private readonly platform: NodeJS.Platform = process.platform,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.integrator = new PowerIntegrator(now);
  }

  private async batteries(): Promise<BatteryStatus[]> {
    return parseBatteryStatus(await this.run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', QUERY], TIMEOUT_MS));
  }

  async available(): Promise<ReaderProbe> {
    if (this.platform !== 'win32') return { available: false, reason: 'not Windows.' };
    try {
      const batteries = await this.batteries();
      if (batteries.length === 0) return { available: false, reason: 'no battery: WMI lists no BatteryStatus.' };
      if (!batteries.some((battery) => battery.Discharging)) return { available: false, reason: 'on AC power: a battery measures the machine only while it discharges.' };
      this.integrator = new PowerIntegrator(this.now);
      this.add(batteries);
      return { available: true, source: 'battery:wmi-discharge-rate' };
    } catch (error) {
      return { available: false, reason: error instanceof CommandError && error.kind === 'missing' ? 'PowerShell is not available.' : (error as Error).message };
    }
  }

  async onBattery(): Promise<boolean | null> {
    if (this.platform !== 'win32') return null;
    try {
      const batteries = await this.batteries();
      return batteries.length === 0 ? false : batteries.some((battery) => battery.Discharging && !battery.PowerOnline);
    } catch {
      return null;
    }
  }

  private add(batteries: readonly BatteryStatus[]): number {
    const discharging = batteries.filter((battery) => battery.Discharging);
    if (discharging.length === 0) throw new EnergyReadError('the battery stopped discharging: it no longer measures the machine.');
    return this.integrator.add(discharging.reduce((sum, battery) => sum + battery.DischargeRate, 0) / 1000, 'BatteryStatus.DischargeRate');
  }

  async read(): Promise<number> {
    return this.add(await this.batteries());
  }
}
