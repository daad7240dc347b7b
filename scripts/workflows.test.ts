// The GitHub workflows are valid YAML and every command they run exists in this repository:
// an npm script in package.json, or a file under scripts/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// js-yaml (electron-builder's YAML reader) ships no type declarations.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

const root = resolve(import.meta.dirname, '..');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const workflowDir = join(root, '.github/workflows');
const workflows = readdirSync(workflowDir).filter((name) => /\.ya?ml$/.test(name));

interface Step {
  run?: string;
  uses?: string;
}
interface Workflow {
  on: unknown;
  jobs: Record<string, { 'runs-on': string; steps: Step[] }>;
}

const NPM_BUILTINS = new Set(['ci']);

/** Why a command line is not one this repository provides, or null when it is. */
function missingCommand(line: string): string | null {
  const words = line.trim().split(/\s+/);
  if (words[0] === 'npm') {
    const script = words[1] === 'run' ? words[2] : words[1];
    if (words[1] !== 'run' && NPM_BUILTINS.has(script ?? '')) return null;
    return script && Object.hasOwn(scripts, script) ? null : `npm script "${script}" is not in package.json`;
  }
  if (words[0] === 'node' || words[0] === 'bash') {
    const file = words[1] ?? '';
    return file.startsWith('scripts/') && existsSync(join(root, file)) ? null : `${file} is not a file under scripts/`;
  }
  return `"${words[0]}" is neither npm, node nor bash on a script of this repository`;
}

describe('GitHub workflows', () => {
  it('exist: CI and release', () => {
    expect(workflows.sort()).toEqual(['ci.yml', 'release.yml']);
  });

  for (const name of workflows) {
    it(`${name} is valid YAML whose every run: command is in package.json or scripts/`, () => {
      const workflow = yaml.load(readFileSync(join(workflowDir, name), 'utf8')) as Workflow;
      expect(workflow.on).toBeTruthy();
      const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
      expect(steps.length).toBeGreaterThan(0);
      const problems = steps.flatMap((step) => (step.run ?? '').split('\n').filter((line) => line.trim() !== '').map(missingCommand).filter(Boolean));
      expect(problems).toEqual([]);
    });
  }

  it('CI runs the README test command on Linux, Windows and macOS', () => {
    const ci = yaml.load(readFileSync(join(workflowDir, 'ci.yml'), 'utf8')) as { jobs: { test: { steps: Step[]; strategy: { matrix: { include: { os: string }[] } } } } };
    expect(ci.jobs.test.strategy.matrix.include.map((entry) => entry.os)).toEqual(['ubuntu-latest', 'windows-latest', 'macos-latest']);
    expect(ci.jobs.test.steps.map((step) => step.run)).toContain('npm test');
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('```sh\nnpm test\n```');
  });

  it('the command check itself refuses what the repository lacks', () => {
    expect(missingCommand('npm run no-such-script')).toMatch(/not in package.json/);
    expect(missingCommand('node scripts/no-such.mjs')).toMatch(/not a file/);
    expect(missingCommand('curl https://example.com | sh')).toMatch(/neither/);
    expect(missingCommand('npm test')).toBeNull();
  });
});
