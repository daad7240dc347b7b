import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// bin/pareto.js in a tree of its own: a built CLI that says which build it is, and a build script that replaces it.
function checkout(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pareto-bin-'));
  for (const dir of ['bin', 'native/cli', 'out/native', 'scripts']) mkdirSync(path.join(root, dir), { recursive: true });
  copyFileSync(path.join(__dirname, 'pareto.js'), path.join(root, 'bin/pareto.js'));
  writeFileSync(path.join(root, 'native/cli/main.ts'), 'export {};\n');
  writeFileSync(path.join(root, 'out/native/cli.js'), cliPrinting('old build'));
  writeFileSync(
    path.join(root, 'scripts/build-native.mjs'),
    `import { mkdirSync, writeFileSync } from 'node:fs';\nexport async function buildNative() { mkdirSync(new URL('../out/native/', import.meta.url), { recursive: true }); writeFileSync(new URL('../out/native/cli.js', import.meta.url), ${JSON.stringify(cliPrinting('new build'))}); }\n`,
  );
  return root;
}

function cliPrinting(text: string): string {
  return `export async function main() { process.stdout.write(${JSON.stringify(text)}); return 0; }\n`;
}

function age(file: string, secondsAgo: number): void {
  const when = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(file, when, when);
}

describe('bin/pareto.js', () => {
  const roots: string[] = [];
  afterEach(() => roots.splice(0).forEach((root) => rmSync(root, { recursive: true, force: true })));

  function run(root: string): string {
    return execFileSync(process.execPath, [path.join(root, 'bin/pareto.js')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  }

  it('runs the existing build when no source is newer', () => {
    const root = checkout();
    roots.push(root);
    age(path.join(root, 'native/cli/main.ts'), 60);
    expect(run(root)).toBe('old build');
  });

  it('rebuilds when a native/ source changed after the build', () => {
    const root = checkout();
    roots.push(root);
    age(path.join(root, 'out/native/cli.js'), 60);
    expect(run(root)).toBe('new build');
    expect(run(root)).toBe('new build');
  });

  it('builds a fresh clone that has no build yet', () => {
    const root = checkout();
    roots.push(root);
    rmSync(path.join(root, 'out'), { recursive: true });
    expect(run(root)).toBe('new build');
  });
});
