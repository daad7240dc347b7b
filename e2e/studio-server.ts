import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test as base } from '@playwright/test';
import { sdFixture } from '../native/testing/fixtures';

export const FIXTURE_MODEL = path.resolve('../shared/fixtures/tinystories-656k-onnx');

/**
 * Where a journey's screenshot goes: under test-results/ (untracked), or into e2e/screenshots/ (the README's
 * pictures) when PARETO_SCREENSHOTS=update, so a test run leaves the tree clean.
 */
export function screenshotPath(name: string): string {
  return path.join(process.env.PARETO_SCREENSHOTS === 'update' ? 'e2e/screenshots' : 'test-results/screenshots', name);
}

export interface StudioServer {
  /** The URL `pareto serve` printed, token included. */
  url: string;
  origin: string;
  token: string;
}

/**
 * A `pareto serve` child serving `models`, on a fresh data folder unless `home` names one (to restart on the same
 * history), on a free port unless `port` names one (to restart where an open tab looks for it).
 */
export async function startServer(models: string[], home = fs.mkdtempSync(path.join(os.tmpdir(), 'pareto-e2e-')), port = 0): Promise<{ server: StudioServer; child: ChildProcess; home: string }> {
  for (const model of models) {
    if (!fs.existsSync(model)) throw new Error(`e2e needs the shared fixture ${model}: clone the project next to ../shared.`);
  }
  if (!fs.existsSync('out/renderer/index.html')) throw new Error('The renderer is not built: run `npm run build` before the e2e specs.');
  const child = spawn(process.execPath, ['bin/pareto.js', 'serve', '--port', String(port), ...models.flatMap((m) => ['--model', m])], {
    env: { ...process.env, PARETO_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`pareto serve exited with ${code} before printing its URL: ${output}`)));
  });
  const parsed = new URL(url);
  return { server: { url, origin: parsed.origin, token: parsed.hash.replace('#token=', '') }, child, home };
}

/**
 * Each worker gets its own `pareto serve` on a free loopback port with a fresh data folder, serving the text and the
 * image fixture (`studio`); a spec that needs a studio nothing has run on yet (no calibration, no history) takes
 * `freshStudio`, started for that test alone.
 */
export const test = base.extend<{ freshStudio: StudioServer }, { studio: StudioServer }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixture's dependencies from this pattern.
  freshStudio: async ({}, use) => {
    const { server, child } = await startServer([FIXTURE_MODEL, sdFixture()]);
    await use(server);
    child.kill('SIGTERM');
  },
  studio: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixture's dependencies from this pattern.
    async ({}, use) => {
      const { server, child } = await startServer([FIXTURE_MODEL, sdFixture()]);
      await use(server);
      child.kill('SIGTERM');
    },
    { scope: 'worker' },
  ],
});

export { expect } from '@playwright/test';
