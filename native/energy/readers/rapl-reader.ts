import path from 'node:path';
import { EnergyReadError, parseCount, type EnergyReader, type ReaderProbe } from '../energy-reader';
import { isPermissionError, listDir, readSysfsText, type ReadText } from './sysfs';

/** Top-level powercap zones only: `intel-rapl:0`, not its `intel-rapl:0:0` core/uncore/dram sub-zones. */
const TOP_LEVEL_ZONE = /^(intel-rapl|amd-rapl):\d+$/;
const UDEV_FIX =
  'ACTION=="add", SUBSYSTEM=="powercap", RUN+="/bin/chgrp power /sys%p/energy_uj", RUN+="/bin/chmod g+r /sys%p/energy_uj"';

interface PackageDomain {
  name: string;
  energyFile: string;
  maxRangeUj: number;
  lastUj: number | null;
}

/**
 * Linux RAPL through powercap: the package zones' `energy_uj` (AMD Zen reports through the same tree).
 * Sub-zones and psys are skipped, since they count energy the package zones already hold. Each
 * counter wraps at `max_energy_range_uj`; a drop is taken as a wrap only when the wrapped delta is
 * plausible (under half the range), otherwise the counter went backwards and is not trusted.
 */
export class RaplReader implements EnergyReader {
  readonly id = 'rapl';
  readonly label = 'Linux RAPL (powercap)';
  readonly estimated = false;
  private domains: PackageDomain[] = [];
  private totalUj = 0;

  constructor(
    private readonly root = '/sys/class/powercap',
    private readonly readText: ReadText = readSysfsText,
  ) {}

  async available(): Promise<ReaderProbe> {
    const zones = listDir(this.root);
    if (zones === null) return { available: false, reason: `${this.root} does not exist: not Linux, or the intel_rapl powercap driver is not loaded (modprobe intel_rapl_msr).` };
    const domains: PackageDomain[] = [];
    for (const zone of zones.filter((name) => TOP_LEVEL_ZONE.test(name))) {
      const dir = path.join(this.root, zone);
      try {
        const name = this.readText(path.join(dir, 'name')).trim();
        if (!name.startsWith('package')) continue;
        const energyFile = path.join(dir, 'energy_uj');
        const maxRangeUj = parseCount(this.readText(path.join(dir, 'max_energy_range_uj')), path.join(dir, 'max_energy_range_uj'));
        domains.push({ name, energyFile, maxRangeUj, lastUj: this.readCounter(energyFile, maxRangeUj) });
      } catch (error) {
        if (isPermissionError(error)) {
          return { available: false, reason: `${path.join(dir, 'energy_uj')} is readable by root only (Linux ≥ 5.10). To let your user read it, add to /etc/udev/rules.d/99-rapl.rules: ${UDEV_FIX} — then add yourself to the "power" group.` };
        }
        return { available: false, reason: (error as Error).message };
      }
    }
    if (domains.length === 0) return { available: false, reason: `${this.root} has no RAPL package zone (no intel-rapl:N with a package-N name).` };
    this.domains = domains;
    this.totalUj = 0;
    return { available: true, source: `rapl:${domains.map((domain) => domain.name).join('+')}` };
  }

  private readCounter(file: string, maxRangeUj: number): number {
    const value = parseCount(this.readText(file), file);
    if (value > maxRangeUj) throw new EnergyReadError(`${file} holds ${value}, above its max_energy_range_uj ${maxRangeUj}.`);
    return value;
  }

  async read(): Promise<number> {
    for (const domain of this.domains) {
      const now = this.readCounter(domain.energyFile, domain.maxRangeUj);
      const last = domain.lastUj ?? now;
      let delta = now - last;
      if (delta < 0) {
        delta += domain.maxRangeUj;
        if (delta > domain.maxRangeUj / 2) throw new EnergyReadError(`${domain.energyFile} went backwards (${last} → ${now}) without wrapping.`);
      }
      domain.lastUj = now;
      this.totalUj += delta;
    }
    return this.totalUj / 1e6;
  }
}
