import fs from 'node:fs';

/** Reads a sysfs file; injected so tests can stand in a permission error that root would not see. */
export type ReadText = (file: string) => string;
export const readSysfsText: ReadText = (file) => fs.readFileSync(file, 'utf8');

export function listDir(dir: string): string[] | null {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return null;
  }
}

export function isPermissionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM';
}

export function readOptional(readText: ReadText, file: string): string | null {
  try {
    return readText(file).trim();
  } catch (error) {
    if (isPermissionError(error)) throw error;
    return null;
  }
}
