import fs from 'node:fs';
import path from 'node:path';

/** `writeFileAtomic`'s temporary files: `<file>.<pid>.<timestamp>.tmp`. */
const TEMP_FILE = /\.(\d+)\.(\d+)\.tmp$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files that a write cut short left in the data folder (a crash, a full disk),
 * sparing those of a process still running, which may be mid-write. Returns how many it removed.
 */
export function removeOrphanTempFiles(dataDir: string): number {
  if (!fs.existsSync(dataDir)) return 0;
  let removed = 0;
  for (const entry of fs.readdirSync(dataDir, { recursive: true, withFileTypes: true })) {
    const match = TEMP_FILE.exec(entry.name);
    if (!entry.isFile() || !match || (Number(match[1]) !== process.pid && processAlive(Number(match[1])))) continue;
    fs.rmSync(path.join(entry.parentPath, entry.name), { force: true });
    removed++;
  }
  return removed;
}
