import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { readDataFile, writeDataFile } from '../shared/data-file';
import type { FamilyCalibration } from './calibration';

const VERSION = 2;

const PointSchema = z.object({
  relative: z.number().positive(),
  low: z.number().positive(),
  high: z.number().positive(),
  samples: z.number().int().positive(),
  fileId: z.string(),
});
const FamilySchema = z.object({
  conditions: z.string(),
  calibratedAt: z.string(),
  repeats: z.number().int().positive(),
  points: z.record(z.string(), PointSchema),
  level: z.object({ value: z.number().positive(), drift: z.number().nonnegative(), runs: z.number().int().nonnegative(), updatedAt: z.string() }),
  changes: z.array(z.string()),
});
const FileSchema = z.object({ version: z.literal(VERSION), device: z.string(), families: z.record(z.string(), FamilySchema) });

/** This machine, as far as its costs go: the processor, its core count, the OS and architecture. */
export function deviceName(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'} · ${cpus.length} cores · ${process.platform}-${process.arch}`;
}

/** Size and modification time of a model file and of its external weights, which a changed file changes. */
export function fileIdentity(file: string): string {
  const base = file.replace(/\.onnx$/, '');
  return [...new Set([file, `${file}_data`, `${file}.data`, `${base}.onnx_data`])]
    .filter((candidate, index) => index === 0 || fs.existsSync(candidate))
    .map((candidate) => {
      const stat = fs.statSync(candidate);
      return `${path.basename(candidate)}:${stat.size}:${Math.round(stat.mtimeMs)}`;
    })
    .join(',');
}

/**
 * The calibrations of this device (calibration.json in the data folder), one per family, kind and
 * provider. A file from another device, an older studio or one that cannot be read is set aside,
 * and `problem` says why, so the next plan measures the family again and says so.
 */
export class CalibrationStore {
  private readonly file: string;
  private readonly device: string;
  private families: Record<string, FamilyCalibration> = {};
  /** Why the stored calibrations were set aside, until each family is measured again. */
  readonly problem: string | null;

  constructor(dataDir: string, device = deviceName()) {
    this.file = path.join(dataDir, 'calibration.json');
    this.device = device;
    this.problem = this.read();
  }

  static key(kind: 'text' | 'image', family: string, ep: string): string {
    return `${kind}:${family}:${ep}`;
  }

  get(key: string): FamilyCalibration | null {
    return this.families[key] ?? null;
  }

  /** Stores a family's calibration; memory changes only once the file is written, so a failed save leaves both as they were. */
  set(key: string, calibration: FamilyCalibration): void {
    const families = { ...this.families, [key]: calibration };
    writeDataFile(this.file, { version: VERSION, device: this.device, families });
    this.families = families;
  }

  private read(): string | null {
    // A file of this version that does not validate (a cost of 0 or less included) is damaged: set aside, its last good copy used.
    const reading = readDataFile(this.file, (json) => (json as { version?: unknown } | null)?.version !== VERSION || FileSchema.safeParse(json).success);
    if (reading.json === undefined) return reading.notice;
    const parsed = FileSchema.safeParse(reading.json);
    if (!parsed.success) return 'calibration.json is from an older version of the studio';
    if (parsed.data.device !== this.device) return `calibration.json was measured on another device (${parsed.data.device})`;
    this.families = parsed.data.families;
    return reading.notice;
  }
}
