import fs from 'node:fs';
import path from 'node:path';
import { SettingsSchema, type Settings, type SettingsPatch } from '../contract';
import { writeFileAtomic } from './atomic-file';

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
  apiServer: { enabled: false, port: 5299 },
  checkForUpdates: false,
};

/** The user's settings, kept as JSON in the data folder; unreadable or invalid fields fall back to defaults. */
export class SettingsStore {
  private readonly file: string;
  private current: Settings;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json');
    this.current = this.read();
  }

  get(): Settings {
    return structuredClone(this.current);
  }

  update(patch: SettingsPatch & { importedModels?: string[] }): Settings {
    this.current = SettingsSchema.parse({ ...this.current, ...patch });
    writeFileAtomic(this.file, JSON.stringify(this.current, null, 2) + '\n');
    return this.get();
  }

  private read(): Settings {
    if (!fs.existsSync(this.file)) return structuredClone(DEFAULT_SETTINGS);
    try {
      const stored = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, unknown>;
      const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS };
      for (const [key, value] of Object.entries(stored)) {
        const field = SettingsSchema.shape[key as keyof Settings];
        if (field?.safeParse(value).success) merged[key] = value;
      }
      return SettingsSchema.parse(merged);
    } catch {
      return structuredClone(DEFAULT_SETTINGS);
    }
  }
}
