import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic-file';

/** What reading a data file found: its JSON (undefined when there is none to use) and, as a clause, what went wrong. */
export interface DataFileReading {
  json: unknown;
  notice: string | null;
}

/** The last good copy of a data file: what it held before its latest write. */
export const lastGoodCopy = (file: string) => `${file}.last-good`;

function parseJson(file: string, accept: (json: unknown) => boolean): { json: unknown } | null {
  try {
    const json: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return accept(json) ? { json } : null;
  } catch {
    return null;
  }
}

/**
 * Reads a JSON file of the data folder. One that does not parse, or that `accept` refuses, is moved aside
 * as `<name>.corrupt-<time>` and its last good copy is restored in its place; the notice says which.
 */
export function readDataFile(file: string, accept: (json: unknown) => boolean): DataFileReading {
  if (!fs.existsSync(file)) return { json: undefined, notice: null };
  const current = parseJson(file, accept);
  if (current) return { json: current.json, notice: null };
  const corrupt = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  fs.renameSync(file, corrupt);
  const name = path.basename(file);
  const previous = fs.existsSync(lastGoodCopy(file)) ? parseJson(lastGoodCopy(file), accept) : null;
  if (!previous) return { json: undefined, notice: `${name} was damaged (kept as ${corrupt}) and no good copy of it was left` };
  fs.copyFileSync(lastGoodCopy(file), file);
  return { json: previous.json, notice: `${name} was damaged (kept as ${corrupt}); its last good copy was restored` };
}

/** Writes a data file atomically (fsync, rename), keeping what it held as its last good copy. */
export function writeDataFile(file: string, json: unknown): void {
  if (fs.existsSync(file)) writeFileAtomic(lastGoodCopy(file), fs.readFileSync(file));
  writeFileAtomic(file, JSON.stringify(json, null, 2) + '\n');
}

/** The file's mtime, size and inode, to notice another process's write. */
export function fileStamp(file: string): string {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat ? `${stat.mtimeMs}:${stat.size}:${stat.ino}` : 'missing';
}

export const isPlainObject = (json: unknown): json is Record<string, unknown> => typeof json === 'object' && json !== null && !Array.isArray(json);
