import { CommandError, runCommand, type RunCommand } from '../command-runner';
import { EnergyReadError, type EnergyReader, type ReaderProbe } from '../energy-reader';
import { PowerIntegrator } from '../power-integrator';

const ENERGY_QUERY = ['--query-gpu=index,total_energy_consumption,power.draw', '--format=csv,noheader,nounits'];
const POWER_QUERY = ['--query-gpu=index,power.draw', '--format=csv,noheader,nounits'];
const TIMEOUT_MS = 2000;

type Mode = { kind: 'energy'; baseMj: number[] } | { kind: 'power'; integrator: PowerIntegrator };

/** One CSV row per GPU; `[N/A]` / `[Not Supported]` cells become null. */
function parseRows(output: string, columns: number): (number | null)[][] {
  const rows = output.trim().split(/\r?\n/).filter(Boolean).map((line) => line.split(',').map((cell) => cell.trim()));
  if (rows.length === 0 || rows.some((row) => row.length !== columns)) throw new EnergyReadError(`nvidia-smi printed "${output.trim().slice(0, 60)}", not ${columns} columns per GPU.`);
  return rows.map((row) =>
    row.map((cell) => {
      if (/^\[.*\]$/.test(cell)) return null;
      const value = Number(cell);
      if (!Number.isFinite(value) || cell === '') throw new EnergyReadError(`nvidia-smi printed "${cell}" where a number belongs.`);
      return value;
    }),
  );
}

/**
 * NVIDIA GPUs through `nvidia-smi` (no FFI package is installed, so NVML itself is out of reach):
 * the total-energy counter (mJ since the driver loaded, NVML's nvmlDeviceGetTotalEnergyConsumption)
 * where the driver exposes it, else `power.draw` integrated over time, and the source label says which.
 */
export class NvidiaSmiReader implements EnergyReader {
  readonly id = 'nvidia-smi';
  readonly label = 'NVIDIA GPU (nvidia-smi)';
  readonly estimated = false;
  /** nvidia-smi takes tens of milliseconds a call; once a second is enough for a GPU's slow power sensor. */
  readonly minIntervalMs = 1000;
  private mode: Mode | null = null;
  private lastMj: number[] = [];

  constructor(
    private readonly run: RunCommand = runCommand,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async available(): Promise<ReaderProbe> {
    try {
      const rows = await this.energyRows();
      if (rows !== null && rows.every((row) => row[1] !== null)) {
        this.lastMj = rows.map((row) => row[1]!);
        this.mode = { kind: 'energy', baseMj: [...this.lastMj] };
        return { available: true, source: 'nvml:total-energy' };
      }
      const power = parseRows(await this.run('nvidia-smi', POWER_QUERY, TIMEOUT_MS), 2);
      if (power.some((row) => row[1] === null)) return { available: false, reason: 'nvidia-smi reports neither total energy nor power draw for this GPU ([N/A]).' };
      this.mode = { kind: 'power', integrator: new PowerIntegrator(this.now) };
      this.addPower(power);
      return { available: true, source: 'nvidia-smi:power.draw×time' };
    } catch (error) {
      return { available: false, reason: error instanceof CommandError && error.kind === 'missing' ? 'nvidia-smi is not installed: no NVIDIA driver here.' : (error as Error).message };
    }
  }

  /** The energy query's rows, or null when this nvidia-smi does not know the total-energy field. */
  private async energyRows(): Promise<(number | null)[][] | null> {
    try {
      return parseRows(await this.run('nvidia-smi', ENERGY_QUERY, TIMEOUT_MS), 3);
    } catch (error) {
      if (error instanceof CommandError && error.kind === 'failed' && /not a valid field/i.test(error.output)) return null;
      throw error;
    }
  }

  private addPower(rows: (number | null)[][]): number {
    if (this.mode?.kind !== 'power') throw new EnergyReadError('nvidia-smi is not set up for power readings.');
    const watts = rows.reduce((sum, row) => sum + (row[1] ?? 0), 0);
    return this.mode.integrator.add(watts, 'nvidia-smi power.draw');
  }

  async read(): Promise<number> {
    if (this.mode?.kind === 'power') return this.addPower(parseRows(await this.run('nvidia-smi', POWER_QUERY, TIMEOUT_MS), 2));
    if (this.mode?.kind !== 'energy') throw new EnergyReadError('nvidia-smi was not probed before reading.');
    const rows = parseRows(await this.run('nvidia-smi', ENERGY_QUERY, TIMEOUT_MS), 3);
    if (rows.length !== this.lastMj.length) throw new EnergyReadError(`nvidia-smi now lists ${rows.length} GPUs, not ${this.lastMj.length}.`);
    const mj = rows.map((row, gpu) => {
      const value = row[1] ?? null;
      if (value === null) throw new EnergyReadError(`GPU ${gpu} stopped reporting total energy.`);
      if (value < this.lastMj[gpu]!) throw new EnergyReadError(`GPU ${gpu}'s total-energy counter went backwards (${this.lastMj[gpu]} → ${value} mJ): the driver was reloaded.`);
      return value;
    });
    this.lastMj = mj;
    const base = this.mode.baseMj;
    return mj.reduce((sum: number, value, gpu) => sum + value - base[gpu]!, 0) / 1000;
  }
}
