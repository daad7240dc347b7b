import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../host/atomic-file';

interface Measurement {
  /** ms per token for text points, seconds per image for image points. */
  cost: number;
  runs: number;
  updatedAt: string;
}

/** Weight of the newest run in the running estimate: recent runs count most, one outlier does not rule. */
const NEWEST_RUN_WEIGHT = 0.3;

/**
 * What each operating point costs on this device, measured on first use and refined from every
 * run (SPEC §3 Ê). Keyed by provider and by the file's identity, so a changed file is measured anew.
 */
export class CalibrationStore {
  private readonly file: string;
  private readonly measurements: Record<string, Measurement>;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'calibration.json');
    this.measurements = this.read();
  }

  /** `detail` separates points that share a file, such as one UNet at several step counts. */
  static key(modelFile: string, ep: string, detail = ''): string {
    const stat = fs.statSync(modelFile);
    return [ep, modelFile, stat.size, Math.round(stat.mtimeMs), detail].join('|');
  }

  cost(key: string): number | null {
    return this.measurements[key]?.cost ?? null;
  }

  record(key: string, cost: number): void {
    if (!(cost > 0)) return;
    const previous = this.measurements[key];
    this.measurements[key] = {
      cost: previous ? previous.cost * (1 - NEWEST_RUN_WEIGHT) + cost * NEWEST_RUN_WEIGHT : cost,
      runs: (previous?.runs ?? 0) + 1,
      updatedAt: new Date().toISOString(),
    };
    writeFileAtomic(this.file, JSON.stringify(this.measurements, null, 2) + '\n');
  }

  private read(): Record<string, Measurement> {
    try {
      const stored = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, Partial<Measurement>>;
      return Object.fromEntries(Object.entries(stored).filter((entry): entry is [string, Measurement] => typeof entry[1].cost === 'number'));
    } catch {
      return {};
    }
  }
}
