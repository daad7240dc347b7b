import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryDir } from '../testing/fixtures';
import { DEFAULT_SETTINGS, SettingsStore } from './settings-store';

function dataDirWith(settings: string): string {
  const dir = temporaryDir();
  fs.writeFileSync(path.join(dir, 'settings.json'), settings);
  return dir;
}

const asideFiles = (dir: string) => fs.readdirSync(dir).filter((name) => /^settings\.json\.corrupt-/.test(name));

describe('SettingsStore as a small database', () => {
  it('merges another process’s write instead of overwriting it (finding 6)', () => {
    const dir = temporaryDir();
    const server = new SettingsStore(dir);
    server.update({ lambda: 0.7 });
    new SettingsStore(dir).update({ importedModels: ['/models/mine'] }); // `pareto models import` beside the server
    server.update({ lambda: 0.2 });
    expect(new SettingsStore(dir).get()).toMatchObject({ lambda: 0.2, importedModels: ['/models/mine'] });
    expect(server.get().importedModels).toEqual(['/models/mine']);
  });

  it('keeps every valid field of a damaged settings.json and names the dropped ones (finding 7)', () => {
    const dir = dataDirWith('{"lambda":0.3,"importedModels":["/a",42,"/b"],"topK":"many","__proto__":{"polluted":true}}');
    const store = new SettingsStore(dir);
    expect(store.get()).toMatchObject({ lambda: 0.3, importedModels: ['/a', '/b'], topK: DEFAULT_SETTINGS.topK });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(store.get())).toBe(Object.prototype);
    expect(store.notices).toEqual([expect.stringMatching(/topK, importedModels\[1\] were not valid and were dropped/)]);
  });

  it('moves a truncated or foreign settings.json aside and restores the last good copy (finding 7)', () => {
    for (const damage of ['{"lambda": 0.', '[1,2,3]', 'null']) {
      const dir = temporaryDir();
      const store = new SettingsStore(dir);
      store.update({ importedModels: ['/models/kept'] });
      store.update({ lambda: 0.4 });
      fs.writeFileSync(path.join(dir, 'settings.json'), damage);
      const reopened = new SettingsStore(dir);
      expect(reopened.get()).toMatchObject({ importedModels: ['/models/kept'] });
      expect(reopened.notices).toEqual([expect.stringMatching(/settings\.json was damaged \(kept as .*settings\.json\.corrupt-.*\); its last good copy was restored/)]);
      expect(asideFiles(dir)).toHaveLength(1);
      expect(fs.readFileSync(path.join(dir, asideFiles(dir)[0]!), 'utf8')).toBe(damage);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8')).importedModels).toEqual(['/models/kept']);
    }
  });

  it('changes nothing in memory when the file cannot be written (finding 5)', () => {
    const dir = temporaryDir();
    const store = new SettingsStore(dir);
    store.update({ lambda: 0.6 });
    fs.chmodSync(dir, 0o500);
    fs.mkdirSync(path.join(dir, 'settings.json.last-good'), { recursive: true }); // makes the write fail even as root
    try {
      expect(() => store.update({ lambda: 0.1 })).toThrowError(/Settings could not be saved .*nothing was changed/);
      expect(store.get().lambda).toBe(0.6);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8')).lambda).toBe(0.6);
    } finally {
      fs.chmodSync(dir, 0o755);
    }
  });
});
