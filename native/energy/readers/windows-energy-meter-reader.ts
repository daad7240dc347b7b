import { CommandError, runCommand, type RunCommand } from '../command-runner';
import { EnergyReadError, type EnergyReader, type ReaderProbe } from '../energy-reader';

const COUNTER = '\\Energy Meter(*)\\Energy';
const TIMEOUT_MS = 4000;
/** The Energy Meter Interface counts energy in picowatt-hours. */
const JOULES_PER_PWH = 3600 / 1e12;

interface Channel {
  instance: string;
  column: number;
}

/** The CSV cells of one typeperf line, quotes removed. */
function cells(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"/g)].map((match) => match[1]!);
}

/** The CPU package channels among a sample's columns; mirrors of one channel (same name, any case) count once. */
export function packageChannels(header: readonly string[]): Channel[] {
  const seen = new Set<string>();
  const channels: Channel[] = [];
  header.forEach((column, index) => {
    const instance = /\\Energy Meter\(([^)]*)\)\\Energy$/i.exec(column)?.[1];
    if (!instance || !/(_PKG$|^package|_package\d*$)/i.test(instance)) return;
    const key = instance.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    channels.push({ instance, column: index });
  });
  return channels;
}

/**
 * Windows 11's Energy Meter Interface through the `\Energy Meter(*)\Energy` performance counters
 * (typeperf, no admin rights needed): CPU package channels only (PP0/PP1/DRAM lie inside or beside them).
 */
export class WindowsEnergyMeterReader implements EnergyReader {
  readonly id = 'windows-emi';
  readonly label = 'Windows Energy Meter Interface (typeperf)';
  readonly estimated = false;
  /** typeperf takes about a second to sample once. */
  readonly minIntervalMs = 2000;
  private channels: Channel[] = [];
  private base: number[] = [];
  private last: number[] = [];

  constructor(
    private readonly run: RunCommand = runCommand,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  private async sample(): Promise<{ header: string[]; values: string[] }> {
    const output = await this.run('typeperf', [COUNTER, '-sc', '1'], TIMEOUT_MS);
    const lines = output.split(/\r?\n/).filter((line) => line.startsWith('"'));
    if (lines.length < 2) throw new EnergyReadError(`typeperf printed no Energy Meter sample: "${output.trim().split('\n')[0]?.slice(0, 80) ?? ''}"`);
    return { header: cells(lines[0]!), values: cells(lines[1]!) };
  }

  private values(values: readonly string[]): number[] {
    return this.channels.map((channel) => {
      const value = Number(values[channel.column]);
      if (!Number.isFinite(value) || value < 0) throw new EnergyReadError(`Energy Meter ${channel.instance} read "${values[channel.column] ?? ''}", not an energy.`);
      return value;
    });
  }

  async available(): Promise<ReaderProbe> {
    if (this.platform !== 'win32') return { available: false, reason: 'not Windows: the Energy Meter Interface exists on Windows 10/11 only.' };
    try {
      const { header, values } = await this.sample();
      this.channels = packageChannels(header);
      if (this.channels.length === 0) return { available: false, reason: 'this PC exposes no CPU package channel through the Energy Meter Interface.' };
      this.base = this.last = this.values(values);
      return { available: true, source: `emi:${this.channels.map((channel) => channel.instance).join('+')}` };
    } catch (error) {
      return { available: false, reason: error instanceof CommandError && error.kind === 'missing' ? 'typeperf is not available (not Windows).' : (error as Error).message };
    }
  }

  async read(): Promise<number> {
    const now = this.values((await this.sample()).values);
    now.forEach((value, index) => {
      if (value < this.last[index]!) throw new EnergyReadError(`Energy Meter ${this.channels[index]!.instance} went backwards (${this.last[index]} → ${value}).`);
    });
    this.last = now;
    return now.reduce((sum, value, index) => sum + value - this.base[index]!, 0) * JOULES_PER_PWH;
  }
}
