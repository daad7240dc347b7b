import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryDir } from '../testing/fixtures';
import { removeOrphanTempFiles } from './orphan-temp-files';
import { StudioHost } from './studio-host';

describe('orphan temporary files (finding 5)', () => {
  it('are removed when the host starts, except those of a process still writing', async () => {
    const dir = temporaryDir();
    fs.mkdirSync(path.join(dir, 'history', 'images'), { recursive: true });
    const deadPid = 2 ** 22 + 1; // above Linux's pid_max, so never a live process
    const orphans = [path.join(dir, `settings.json.${deadPid}.1700000000000.tmp`), path.join(dir, 'history', 'images', `x.png.${deadPid}.1700000000000.tmp`)];
    const live = path.join(dir, `calibration.json.${process.ppid}.1700000000000.tmp`);
    for (const file of [...orphans, live]) fs.writeFileSync(file, 'partial');
    const host = new StudioHost({ dataDir: dir, bundledModelsDir: null });
    expect(orphans.filter((file) => fs.existsSync(file))).toEqual([]);
    expect(fs.existsSync(live)).toBe(true);
    expect(removeOrphanTempFiles(dir)).toBe(0);
    await host.dispose();
  });
});
