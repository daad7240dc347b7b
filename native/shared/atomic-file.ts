import fs from 'node:fs';
import path from 'node:path';

/** Writes a file so that a crash mid-write leaves either the old content or the new, never a torn file. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    const handle = fs.openSync(temporary, 'w');
    try {
      fs.writeFileSync(handle, content);
      fs.fsyncSync(handle);
    } finally {
      fs.closeSync(handle);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    // A failed write (disk full, a directory in the way of the rename) must not leave its temp file behind.
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}
