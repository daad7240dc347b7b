import path from 'node:path';
import { z } from 'zod';
import { ApiError, SettingsSchema, type Settings, type SettingsPatch } from '../contract';
import { fileStamp, isPlainObject, readDataFile, writeDataFile } from '../shared/data-file';

export const DEFAULT_SETTINGS: Settings = {
  defaultModel: null,
  lambda: 0.5,
  lambdaPresets: [
    { name: 'Quality', lambda: 0.9 },
    { name: 'Balanced', lambda: 0.5 },
    { name: 'Efficient', lambda: 0.2 },
    { name: 'Battery saver', lambda: 0 },
  ],
  ep: 'cpu',
  maxNewTokens: 200,
  temperature: 0.8,
  topK: 50,
  topP: 0.95,
  threads: null,
  graphOptimizationLevel: 'all',
  sessionCacheMb: 2048,
  historyLimit: 1000,
  importedModels: [],
  energyController: { enabled: false, batteryLambdaShift: 0.3, latencyMsPerToken: null, latencySPerImage: null, energyJPerToken: null, energyJPerImage: null },
  imageScaling: 'crisp',
  apiServer: { enabled: false, port: 5299 },
  checkForUpdates: false,
};

/** A list field keeps its valid items; any other field is kept whole or falls back to its default. */
function validField(field: z.ZodType, stored: unknown, fallback: unknown, name: string, dropped: string[]): unknown {
  if (field.safeParse(stored).success) return stored;
  if (field instanceof z.ZodArray && Array.isArray(stored)) {
    const valid = stored.map((item) => z.safeParse(field.element, item).success);
    const items = stored.filter((_, index) => valid[index]);
    if (field.safeParse(items).success) {
      valid.forEach((ok, index) => ok || dropped.push(`${name}[${index}]`));
      return items;
    }
  }
  dropped.push(name);
  return fallback;
}

/** Settings from stored JSON, field by field: what does not validate is dropped (and named), the rest kept. */
function settingsFrom(stored: Record<string, unknown>): { settings: Settings; dropped: string[] } {
  const dropped: string[] = [];
  const merged: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(SettingsSchema.shape)) {
    const fallback = DEFAULT_SETTINGS[key as keyof Settings];
    merged[key] = Object.hasOwn(stored, key) ? validField(field, stored[key], fallback, key, dropped) : fallback;
  }
  return { settings: SettingsSchema.parse(structuredClone(merged)), dropped };
}

/**
 * The user's settings, kept as JSON in the data folder like a small database: written atomically with a
 * last good copy, read back field by field, and re-read before each change so that another process's write
 * (the CLI importing a model beside a running server) is merged rather than overwritten.
 */
export class SettingsStore {
  private readonly file: string;
  private current: Settings = structuredClone(DEFAULT_SETTINGS);
  private stamp = '';
  /** What reading the file found wrong (a damaged file restored, fields dropped), for the UI and the log. */
  readonly notices: string[] = [];

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json');
    this.reload();
  }

  get(): Settings {
    if (fileStamp(this.file) !== this.stamp) this.reload();
    return structuredClone(this.current);
  }

  /** Applies a change to the settings on disk; memory changes only once the file is written. */
  update(patch: SettingsPatch & { importedModels?: string[] }): Settings {
    const next = SettingsSchema.parse({ ...this.get(), ...patch });
    try {
      writeDataFile(this.file, next);
    } catch (error) {
      throw new ApiError('internal', `Settings could not be saved (${(error as Error).message}); nothing was changed.`);
    }
    this.current = next;
    this.stamp = fileStamp(this.file);
    return this.get();
  }

  private reload(): void {
    const reading = readDataFile(this.file, isPlainObject);
    if (reading.notice) this.report(`${reading.notice}; settings missing from it take their defaults.`);
    const { settings, dropped } = isPlainObject(reading.json) ? settingsFrom(reading.json) : { settings: structuredClone(DEFAULT_SETTINGS), dropped: [] };
    if (dropped.length) this.report(`settings.json: ${dropped.join(', ')} ${dropped.length === 1 ? 'was' : 'were'} not valid and were dropped (a dropped setting takes its default); the other settings were kept.`);
    this.current = settings;
    this.stamp = fileStamp(this.file);
  }

  private report(notice: string): void {
    this.notices.push(notice);
    console.warn(`[host/settings] ${notice}`);
  }
}
