import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryDir } from '../testing/fixtures';
import { writeFileAtomic } from './atomic-file';

describe('writeFileAtomic', () => {
  it('replaces the file whole', () => {
    const file = path.join(temporaryDir(), 'a', 'settings.json');
    writeFileAtomic(file, 'old');
    writeFileAtomic(file, 'new');
    expect(fs.readFileSync(file, 'utf8')).toBe('new');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['settings.json']);
  });

  it('leaves no temp file behind when the write fails', () => {
    const dir = temporaryDir();
    const file = path.join(dir, 'history.json');
    fs.mkdirSync(path.join(file, 'in-the-way'), { recursive: true }); // a non-empty folder where the file goes: the rename fails
    expect(() => writeFileAtomic(file, 'content')).toThrow();
    expect(fs.readdirSync(dir)).toEqual(['history.json']);
  });
});
