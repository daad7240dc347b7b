import fs from 'node:fs';
import path from 'node:path';

/** Every file below a folder with its size and modification time: changes when any file is added, removed or rewritten. */
function fingerprint(dir: string): string {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      const stat = fs.statSync(file);
      return `${file}\0${stat.size}\0${stat.mtimeMs}`;
    })
    .sort()
    .join('\n');
}

/**
 * Model folders as loaded, kept while none of their files changes. Loading parses tokenizer.json and the
 * other configs, a good part of a tenth of a second per folder, and the registry is read on every request.
 */
export class ModelFolderCache<T> {
  private readonly folders = new Map<string, { fingerprint: string; value: T }>();

  load(dir: string, loader: (dir: string) => T): T {
    const current = fingerprint(dir);
    const cached = this.folders.get(dir);
    if (cached?.fingerprint === current) return cached.value;
    const value = loader(dir);
    this.folders.set(dir, { fingerprint: current, value });
    return value;
  }
}
