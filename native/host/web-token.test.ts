import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryDir } from '../testing/fixtures';
import { webModeToken } from './web-token';

describe('webModeToken', () => {
  it('keeps one token per data folder across launches, readable by its owner only', () => {
    const home = temporaryDir();
    const first = webModeToken(home);
    expect(first).toMatch(/^[\w-]{32}$/);
    expect(webModeToken(home)).toBe(first);
    expect(fs.statSync(path.join(home, 'web-token')).mode & 0o777).toBe(0o600);
    expect(webModeToken(temporaryDir())).not.toBe(first);
  });

  it('replaces a damaged token file', () => {
    const home = temporaryDir();
    fs.writeFileSync(path.join(home, 'web-token'), 'short');
    expect(webModeToken(home)).toMatch(/^[\w-]{32}$/);
  });
});
