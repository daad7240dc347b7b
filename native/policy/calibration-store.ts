import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../shared/atomic-file';
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

  set(key: string, calibration: FamilyCalibration): void {
    this.families[key] = calibration;
    writeFileAtomic(this.file, JSON.stringify({ version: VERSION, device: this.device, families: this.families }, null, 2) + '\n');
  }

  private read(): string | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return null;
    }
    let stored: unknown;
    try {
      stored = JSON.parse(text);
    } catch (error) {
      return `calibration.json could not be read (${(error as Error).message})`;
    }
    const parsed = FileSchema.safeParse(stored);
    if (!parsed.success) {
      const version = (stored as { version?: unknown } | null)?.version;
      return version === VERSION ? `calibration.json is damaged (${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message})` : 'calibration.json is from an older version of the studio';
    }
    if (parsed.data.device !== this.device) return `calibration.json was measured on another device (${parsed.data.device})`;
    this.families = parsed.data.families;
    return null;
  }
}
