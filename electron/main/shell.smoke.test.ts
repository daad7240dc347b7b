// Runs the BUILT shell (out/main/index.js) with a stand-in 'electron' module, and the BUILT engine
// host (out/native/host.js) as a real child process: the wiring between them — paths, env, IPC
// handler, sender checks, event forwarding, crash and restart — is exercised for real, without an
// Electron binary. Needs `npm run build` first; skipped (and says so) without it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CallOutcome, StudioEvent } from '../../native/contract';
import { IPC_CHANNELS } from '../../native/contract';
import { recorded, type BrowserWindow } from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

const root = resolve(import.meta.dirname, '../..');
const built = join(root, 'out/main/index.js');
const hasBuild = existsSync(built) && existsSync(join(root, 'out/native/host.js'));

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 20_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(!hasBuild)('the built shell with a stand-in Electron and the real engine host', () => {
  let profile: string;
  let window: BrowserWindow;

  const events = () => window.webContents.sent.filter((sent) => sent.channel === IPC_CHANNELS.event).map((sent) => sent.payload as StudioEvent);
  const hostStatuses = () => events().flatMap((event) => (event.type === 'host' ? [event.status] : []));
  const trusted = () => ({ sender: window.webContents, senderFrame: window.webContents.mainFrame });
  const call = (method: unknown, params?: unknown, event: unknown = trusted()) => {
    const handler = recorded.ipcHandlers.get(IPC_CHANNELS.call);
    if (!handler) throw new Error('no IPC handler registered');
    return handler(event, method, params) as Promise<CallOutcome>;
  };

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'pareto-shell-smoke-'));
    process.env.PARETO_USER_DATA_DIR = profile;
    delete process.env.ELECTRON_RENDERER_URL;
    await import(built);
    window = await until('the window', () => recorded.windows[0]);
    await until('the engine to be ready', () => hostStatuses().includes('ready'));
  });

  afterAll(() => {
    for (const child of recorded.children) if (!child.exited) child.child.kill('SIGKILL');
    delete process.env.PARETO_USER_DATA_DIR;
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('starts sandboxed, with a secure window on the built page and the engine in its own process', async () => {
    expect(recorded.sandboxEnabled).toBe(true);
    expect(window.options).toMatchObject({
      title: 'Pareto Studio',
      show: false,
      webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, preload: join(root, 'out/preload/index.cjs') },
    });
    await until('ready-to-show', () => window.shown);
    expect(window.webContents.mainFrame.url).toBe('app://studio/index.html');
    expect(recorded.protocolHandlers.has('app')).toBe(true);
    const [engine] = recorded.children;
    expect(engine?.modulePath).toBe(join(root, 'out/native/host.js'));
    expect(engine?.options).toMatchObject({ serviceName: 'Pareto Engine', env: { PARETO_HOME: profile, PARETO_MODELS_DIR: join(root, 'models') } });
  });

  it('answers calls through the real host, and refuses unknown methods and foreign senders', async () => {
    expect(await call('getSettings')).toMatchObject({ ok: true, result: { ep: expect.any(String) } });
    expect(await call('updateSettings', { nope: 1 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await call('rm -rf')).toMatchObject({ ok: false, error: { code: 'not_found' } });
    const otherFrame = { sender: window.webContents, senderFrame: { url: window.webContents.mainFrame.url, parent: {} } };
    expect(await call('getSettings', undefined, otherFrame)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await call('getSettings', undefined, { sender: {}, senderFrame: null })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it('blocks navigation, new windows and remote requests, denies permissions, and sends a CSP', () => {
    const navigate = (url: string) => {
      let prevented = false;
      window.webContents.emit('will-navigate', { url, preventDefault: () => (prevented = true) });
      return prevented;
    };
    expect(navigate('https://example.com/')).toBe(true);
    expect(navigate(`${window.webContents.mainFrame.url}#/settings`)).toBe(false);
    expect(window.webContents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(recorded.opened).toEqual(['https://example.com/']);
    expect(window.webContents.windowOpenHandler?.({ url: 'http://example.com/' })).toEqual({ action: 'deny' });
    expect(recorded.opened).toHaveLength(1);

    const cancel = (url: string) => {
      let result: { cancel: boolean } | undefined;
      (recorded.session.beforeRequest as (details: { url: string }, callback: (r: { cancel: boolean }) => void) => void)({ url }, (r) => (result = r));
      return result?.cancel;
    };
    expect(cancel('https://cdn.example.com/x.js')).toBe(true);
    expect(cancel(`file://${join(root, 'out/renderer/assets/app.js')}`)).toBe(true);
    expect(cancel('app://studio/assets/app.js')).toBe(false);

    let granted: boolean | undefined;
    (recorded.session.permissionRequest as (c: unknown, p: string, cb: (ok: boolean) => void, d: object) => void)(window.webContents, 'media', (ok) => (granted = ok), { requestingUrl: window.webContents.mainFrame.url });
    expect(granted).toBe(false);
    expect((recorded.session.permissionCheck as () => boolean)()).toBe(false);

    let headers: Record<string, string[]> | undefined;
    (recorded.session.headersReceived as (d: unknown, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void)(
      { responseHeaders: { 'content-security-policy': ['default-src *'] } },
      (r) => (headers = r.responseHeaders),
    );
    expect(headers).toEqual({ 'Content-Security-Policy': [expect.stringContaining("default-src 'none'")] });
  });

  it('when the engine dies: fails the call in flight, tells the window, restarts, and serves again', async () => {
    const engine = recorded.children.at(-1)!;
    engine.child.kill('SIGSTOP'); // it cannot answer now, so the call below is surely in flight
    const inFlight = call('getSettings');
    await new Promise((resolve) => setTimeout(resolve, 50));
    engine.child.kill('SIGKILL');

    const outcome = await inFlight;
    expect(outcome).toEqual({
      ok: false,
      error: { code: 'internal', message: 'The engine stopped unexpectedly (exit code 137); it is restarting. Saved work is kept.' },
    });
    await until('a fresh engine', () => recorded.children.length === 2 && hostStatuses().filter((status) => status === 'ready').length === 2);
    expect(hostStatuses()).toEqual(['ready', 'crashed', 'restarting', 'ready']);
    expect(events().filter((event) => event.type === 'host').at(-1)).toMatchObject({ message: 'The engine restarted; nothing was running, so no work was lost.' });
    expect(readFileSync(join(profile, 'logs', 'main.log'), 'utf8')).toMatch(/ error \[pareto:engine\] The engine stopped unexpectedly \(exit code 137\)/);
    expect(await call('getSettings')).toMatchObject({ ok: true });
  });

  it('a second launch focuses the window instead of opening another', async () => {
    const { app } = await import('./testing/fake-electron');
    app.emit('second-instance');
    expect(window.focused).toBe(true);
    expect(recorded.windows).toHaveLength(1);
  });

  it('File > Restart Engine restarts it by hand', async () => {
    const file = recorded.menu?.template.find((item) => (item as { label?: string }).label === 'File') as { submenu: Array<{ label?: string; click?: () => void }> };
    file.submenu.find((item) => item.label === 'Restart Engine')?.click?.();
    await until('the restarted engine', () => recorded.children.length === 3 && hostStatuses().filter((status) => status === 'ready').length === 3);
    expect(recorded.children[1]?.child.killed).toBe(true);
    expect(hostStatuses().slice(-2)).toEqual(['restarting', 'ready']);
    expect(await call('listProviders')).toMatchObject({ ok: true, result: expect.arrayContaining([expect.objectContaining({ id: 'cpu' })]) });
  });

  it('quitting stops the engine without calling it a crash', async () => {
    const before = hostStatuses().length;
    const { app } = await import('./testing/fake-electron');
    app.emit('will-quit');
    await until('the engine to exit', () => recorded.children.every((child) => child.exited));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hostStatuses()).toHaveLength(before);
    expect(await call('getSettings')).toMatchObject({ ok: false, error: { message: 'The engine is not running.' } });
  });
});
