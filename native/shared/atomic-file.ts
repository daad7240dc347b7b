import fs from 'node:fs';
import path from 'node:path';

let writes = 0;

/**
 * `<file>.<pid>.<timestamp><count>.tmp`, unique to each write of this process (two may start in one millisecond);
 * the host removes those of processes that are gone (orphan-temp-files.ts).
 */
function temporaryPath(file: string): string {
  return `${file}.${process.pid}.${Date.now()}${String(writes++ % 1000).padStart(3, '0')}.tmp`;
}

/** Writes a file so that a crash mid-write leaves either the old content or the new, never a torn file. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = temporaryPath(file);
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

/** `writeFileAtomic` off the main thread, for files large enough that writing them would stall the caller. */
export async function writeFileAtomicAsync(file: string, content: Uint8Array): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const temporary = temporaryPath(file);
  try {
    const handle = await fs.promises.open(temporary, 'w');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temporary, file);
  } catch (error) {
    await fs.promises.rm(temporary, { force: true });
    throw error;
  }
}
