// The desktop app in Electron: the built app (out/main/index.js, via package.json "main") with a
// throwaway profile. Self-contained: it needs `electron-vite build` output and an Electron binary,
// not the web server. Where Electron was installed without its binary, it skips and says so.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import type { CallOutcome, PreloadBridge, StudioEvent } from '../native/contract';

const root = resolve(import.meta.dirname, '..');

/**
 * The Electron executable, or null when the package was installed without its binary. Electron's
 * own `require('electron')` would try to download the binary right now when it is missing, so the
 * files it reads are checked first and it is asked only when it can answer without the network.
 */
function electronBinary(): string | null {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('electron/package.json'));
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pathFile = join(packageDir, 'path.txt');
  if (!override && !(existsSync(pathFile) && existsSync(join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim())))) return null;
  try {
    const path: unknown = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const SKIP_REASON = 'Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD); desktop spec skipped — run on a machine with Electron to exercise it';
// Said once, by the runner (not by each worker), so the skip is plain in the test output.
if (binary === null && process.env.TEST_WORKER_INDEX === undefined) console.log(`[electron] ${SKIP_REASON}`);

type PageGlobals = { pareto?: PreloadBridge; seenEvents?: StudioEvent[] };

test.describe('desktop app (Electron)', () => {
  test.skip(binary === null, SKIP_REASON);

  let app: ElectronApplication;
  let page: Page;
  let profile: string;

  test.beforeAll(async () => {
    expect(existsSync(join(root, 'out/main/index.js')), 'out/main/index.js is missing: run `npx electron-vite build` first').toBe(true);
    profile = mkdtempSync(join(tmpdir(), 'pareto-e2e-profile-'));
    // The built page, never a dev server; Electron as Electron, not as Node.
    const inherited = Object.entries(process.env).filter(([name]) => name !== 'ELECTRON_RENDERER_URL' && name !== 'ELECTRON_RUN_AS_NODE');
    const env: Record<string, string> = { ...Object.fromEntries(inherited.filter((entry): entry is [string, string] => entry[1] !== undefined)), PARETO_USER_DATA_DIR: profile };
    app = await electron.launch({
      executablePath: binary ?? undefined,
      // Chromium refuses to start as root without this; it does not change the renderer's JS sandbox.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), root],
      cwd: root,
      env,
    });
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });

  test.afterAll(async () => {
    await app?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('opens one titled window on the built page, served from app:// rather than file://', async () => {
    expect(page.url()).toBe('app://studio/index.html');
    const title = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((window) => window.getTitle()));
    expect(title).toEqual(['Pareto Studio']);
  });

  test('the page gets window.pareto and nothing of Node or Electron', async () => {
    const seen = await page.evaluate(() => {
      const globals = globalThis as unknown as PageGlobals & Record<string, unknown>;
      return {
        bridge: Object.keys(globals.pareto ?? {}).sort(),
        desktop: Object.keys(globals.pareto?.desktop ?? {}).sort(),
        call: typeof globals.pareto?.call,
        onEvent: typeof globals.pareto?.onEvent,
        require: typeof globals.require,
        process: typeof globals.process,
        module: typeof globals.module,
        Buffer: typeof globals.Buffer,
        ipcRenderer: typeof globals.ipcRenderer,
      };
    });
    expect(seen).toEqual({ bridge: ['call', 'desktop', 'onEvent'], desktop: ['onImportModelFolder', 'pathForFile'], call: 'function', onEvent: 'function', require: 'undefined', process: 'undefined', module: 'undefined', Buffer: 'undefined', ipcRenderer: 'undefined' });
  });

  test('the window runs with secure webPreferences', async () => {
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const [window] = BrowserWindow.getAllWindows();
      // getLastWebPreferences is not in Electron's typings but exists on WebContents.
      const contents = window?.webContents as unknown as { getLastWebPreferences?: () => Record<string, unknown> | null };
      const last = contents?.getLastWebPreferences?.() ?? {};
      return { contextIsolation: last.contextIsolation, sandbox: last.sandbox, nodeIntegration: last.nodeIntegration, webSecurity: last.webSecurity, webviewTag: last.webviewTag };
    });
    expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
  });

  test('the CSP forbids eval and remote requests', async () => {
    const result = await page.evaluate(async () => {
      let evalBlocked = false;
      try {
        (0, eval)('1 + 1');
      } catch {
        evalBlocked = true;
      }
      let remoteBlocked = false;
      try {
        await fetch('https://example.com/');
      } catch {
        remoteBlocked = true;
      }
      return { evalBlocked, remoteBlocked };
    });
    expect(result).toEqual({ evalBlocked: true, remoteBlocked: true });
  });

  test('the app:// protocol serves the renderer with the strict CSP, and nothing outside it', async () => {
    const answers = await page.evaluate(async () => {
      const index = await fetch('app://studio/index.html');
      const escape = await fetch('app://studio/..%2f..%2fmain/index.js');
      return { status: index.status, csp: index.headers.get('content-security-policy'), escape: escape.status };
    });
    expect(answers).toEqual({ status: 200, csp: expect.stringMatching(/^default-src 'none'; script-src 'self'; style-src 'self';/), escape: 404 });
  });

  test('navigation away and new windows are refused', async () => {
    const before = page.url();
    await page.evaluate(() => {
      const page = globalThis as unknown as { open(url: string, target: string): unknown; location: { href: string } };
      page.open('https://example.com/', '_blank');
      page.location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toBe(before);
    expect(app.windows()).toHaveLength(1);
  });

  test('calls come back as envelopes: unknown methods refused, real ones answered by the engine', async () => {
    const refused = await page.evaluate(() => (globalThis as unknown as PageGlobals).pareto!.call('dropTables' as never, undefined));
    expect(refused).toMatchObject({ ok: false, error: { code: 'not_found' } });
    await expect
      .poll(async () => (await page.evaluate(() => (globalThis as unknown as PageGlobals).pareto!.call('getSettings', undefined))).ok, { timeout: 30_000 })
      .toBe(true);
  });

  test('when the engine dies the window is told, and the engine comes back', async () => {
    await page.evaluate(() => {
      const globals = globalThis as unknown as PageGlobals;
      globals.seenEvents = [];
      globals.pareto!.onEvent((event) => globals.seenEvents!.push(event as StudioEvent));
    });
    const pid = await app.evaluate(({ app: electronApp }) => electronApp.getAppMetrics().find((metric) => metric.type === 'Utility' && metric.serviceName === 'Pareto Engine')?.pid);
    expect(pid, 'the engine host process (serviceName "Pareto Engine") is running').toBeTruthy();
    process.kill(pid!, 'SIGKILL');

    const hostStatuses = () => page.evaluate(() => ((globalThis as unknown as PageGlobals).seenEvents ?? []).flatMap((event) => (event.type === 'host' ? [event.status] : [])));
    await expect.poll(hostStatuses, { timeout: 30_000 }).toEqual(['crashed', 'restarting', 'ready']);
    const crashed = await page.evaluate(() => (globalThis as unknown as PageGlobals).seenEvents!.find((event) => event.type === 'host' && event.status === 'crashed'));
    expect(crashed).toMatchObject({ message: expect.stringMatching(/stopped unexpectedly .* restarting\. Saved work is kept\./) });

    const answer: CallOutcome = await page.evaluate(() => (globalThis as unknown as PageGlobals).pareto!.call('getSettings', undefined));
    expect(answer.ok).toBe(true);
  });
});
