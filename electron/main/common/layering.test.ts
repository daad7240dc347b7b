import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// electron/main/common/ holds the shell's pure logic: it must run (and be tested) without Electron.
describe('electron/main/common', () => {
  const dir = import.meta.dirname;
  const sources = readdirSync(dir).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));

  it.each(sources)('%s imports neither electron nor anything outside node: and the contract', (name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((match) => match[1] ?? '');
    for (const specifier of specifiers) {
      expect(specifier, `${name} imports ${specifier}`).toMatch(/^(node:|\.\/|(\.\.\/)+native\/contract$)/);
    }
  });
});
