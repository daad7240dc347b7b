import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../host/atomic-file';

interface Measurement {
  msPerToken: number;
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

  static key(modelFile: string, ep: string): string {
    const stat = fs.statSync(modelFile);
    return [ep, modelFile, stat.size, Math.round(stat.mtimeMs)].join('|');
  }

  msPerToken(key: string): number | null {
    return this.measurements[key]?.msPerToken ?? null;
  }

  record(key: string, msPerToken: number): void {
    if (!(msPerToken > 0)) return;
    const previous = this.measurements[key];
    this.measurements[key] = {
      msPerToken: previous ? previous.msPerToken * (1 - NEWEST_RUN_WEIGHT) + msPerToken * NEWEST_RUN_WEIGHT : msPerToken,
      runs: (previous?.runs ?? 0) + 1,
      updatedAt: new Date().toISOString(),
    };
    writeFileAtomic(this.file, JSON.stringify(this.measurements, null, 2) + '\n');
  }

  private read(): Record<string, Measurement> {
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, Measurement>;
    } catch {
      return {};
    }
  }
}
