// Electron's security checklist (https://www.electronjs.org/docs/latest/tutorial/security), one test
// per point, on the window, session, protocol, IPC handler and preload the shell really builds —
// with Electron's API stood in for (testing/fake-electron.ts), so no Electron binary is needed.
// Point 16 (a current Electron) is the dependency pin; point 19 (fuses) is read back from the
// packaged binary by scripts/package-check.mjs.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { IpcMainInvokeEvent, Session } from 'electron';
import { IPC_CHANNELS, type CallOutcome } from '../../native/contract';
import { appProtocolHandler, registerAppScheme } from './app-protocol';
import { createLogger } from '../../native/host/supervisor';
import { APP_INDEX_URL, appSource, contentSecurityPolicy } from './common/url-policy';
import { registerCallHandler } from './ipc';
import { applySessionPolicy, guardAllWebContents } from './security';
import { app, protocol, recorded, session, type BrowserWindow } from './testing/fake-electron';
import { createMainWindow } from './window';
import { DEFAULT_PLACEMENT } from './window-state';

vi.mock('electron', () => import('./testing/fake-electron'));

const quiet = createLogger('test', { info: () => {}, warn: () => {}, error: () => {} });
const source = appSource(undefined);
const csp = contentSecurityPolicy(source);
type Handler = (...args: unknown[]) => unknown;

let window: BrowserWindow;
const engineCalls: unknown[][] = [];

beforeAll(async () => {
  guardAllWebContents(app as never, source, quiet);
  applySessionPolicy(session.defaultSession as unknown as Session, source, quiet);
  window = createMainWindow({ preloadPath: '/app/out/preload/index.cjs', source, devTools: false, placement: DEFAULT_PLACEMENT, savePlacement: () => {}, log: quiet }) as unknown as BrowserWindow;
  registerCallHandler({
    isTrustedSender: (event) => event.sender === (window.webContents as unknown) && event.senderFrame === (window.webContents.mainFrame as unknown),
    call: async (method, params) => (engineCalls.push([method, params]), { ok: true, result: null }),
    log: quiet,
  });
  await new Promise((resolve) => setImmediate(resolve));
});

const preferences = () => window.options.webPreferences as Record<string, unknown>;
const navigate = (event: string, url: string, extra: Record<string, unknown> = {}) => {
  let prevented = false;
  window.webContents.emit(event, { url, ...extra, preventDefault: () => (prevented = true) });
  return prevented;
};
const call = (event: Partial<IpcMainInvokeEvent>, method: unknown, params?: unknown) => recorded.ipcHandlers.get(IPC_CHANNELS.call)!(event, method, params) as Promise<CallOutcome>;
const trusted = () => ({ sender: window.webContents, senderFrame: window.webContents.mainFrame }) as unknown as IpcMainInvokeEvent;

describe('Electron security checklist', () => {
  it('1. loads no remote content: every http(s), ws and file:// request is cancelled', () => {
    const cancelled = (url: string) => {
      let result: { cancel: boolean } | undefined;
      (recorded.session.beforeRequest as Handler)({ url }, (answer: { cancel: boolean }) => (result = answer));
      return result?.cancel;
    };
    for (const url of ['https://cdn.example.com/x.js', 'http://127.0.0.1:5199/', 'wss://example.com/', 'file:///etc/passwd']) expect(cancelled(url)).toBe(true);
    expect(cancelled('app://studio/assets/index.js')).toBe(false);
  });

  it('2. no Node.js integration in the page, its workers or frames', () => {
    expect(preferences()).toMatchObject({ nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false });
  });

  it('3. context isolation', () => {
    expect(preferences().contextIsolation).toBe(true);
  });

  it('4. the process sandbox, and a preload that is the only bridge', () => {
    expect(preferences()).toMatchObject({ sandbox: true, preload: '/app/out/preload/index.cjs' });
  });

  it('5. permission requests are denied (but a clipboard write from our own page), so are checks, devices and screen capture', () => {
    const asked = (permission: string, requestingUrl: string) => {
      let granted: boolean | undefined;
      (recorded.session.permissionRequest as Handler)(window.webContents, permission, (ok: boolean) => (granted = ok), { requestingUrl });
      return granted;
    };
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'fullscreen', 'clipboard-read']) expect(asked(permission, APP_INDEX_URL)).toBe(false);
    expect(asked('clipboard-sanitized-write', APP_INDEX_URL)).toBe(true);
    expect(asked('clipboard-sanitized-write', 'https://example.com/')).toBe(false);
    expect((recorded.session.permissionCheck as Handler)(window.webContents, 'media', 'app://studio')).toBe(false);
    expect((recorded.session.permissionCheck as Handler)(window.webContents, 'clipboard-sanitized-write', 'https://example.com')).toBe(false);
    expect((recorded.session.devicePermission as Handler)({ deviceType: 'usb' })).toBe(false);
    let streams: unknown;
    (recorded.session.displayMedia as Handler)({}, (answer: unknown) => (streams = answer));
    expect(streams).toEqual({});
  });

  it('6. web security stays on', () => {
    expect(preferences().webSecurity).toBe(true);
  });

  it('7. a strict Content-Security-Policy on every app:// response and on network responses', async () => {
    expect(csp).toMatch(/^default-src 'none'; script-src 'self'; style-src 'self';/);
    expect(csp).not.toMatch(/unsafe-(inline|eval)|https?:|\*/);
    let headers: Record<string, string[]> | undefined;
    (recorded.session.headersReceived as Handler)({ responseHeaders: { 'content-security-policy': ['default-src *'] } }, (answer: { responseHeaders: Record<string, string[]> }) => (headers = answer.responseHeaders));
    expect(headers).toEqual({ 'Content-Security-Policy': [csp] });
    const response = await rendererResponse('app://studio/index.html');
    expect(response.headers.get('content-security-policy')).toBe(csp);
  });

  it('8. no insecure content over https pages', () => {
    expect(preferences().allowRunningInsecureContent).toBe(false);
  });

  it('9 and 10. no experimental features, no Blink features switched on', () => {
    expect(preferences()).toMatchObject({ experimentalFeatures: false, enableBlinkFeatures: '' });
  });

  it('11 and 12. no <webview>: the tag is off and any attach is refused', () => {
    expect(preferences().webviewTag).toBe(false);
    expect(navigate('will-attach-webview', 'https://example.com/')).toBe(true);
  });

  it('13. navigation is limited to our own page, in every frame and on redirects', () => {
    expect(navigate('will-navigate', 'https://example.com/')).toBe(true);
    expect(navigate('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(navigate('will-navigate', `${APP_INDEX_URL}#/settings`)).toBe(false);
    expect(navigate('will-redirect', 'https://example.com/')).toBe(true);
    expect(navigate('will-frame-navigate', 'https://example.com/', { isMainFrame: false })).toBe(true);
    expect(preferences().navigateOnDragDrop).toBe(false);
  });

  it('14 and 15. new windows are denied; only plain https links go to the system browser', () => {
    recorded.opened.length = 0;
    for (const url of ['https://huggingface.co/', 'http://example.com/', 'file:///etc/passwd', 'smb://share/x', 'https://user:pw@example.com/']) {
      expect(window.webContents.windowOpenHandler?.({ url })).toEqual({ action: 'deny' });
    }
    expect(recorded.opened).toEqual(['https://huggingface.co/']);
  });

  it('17. IPC answers only our window’s main frame, and checks every payload against the contract', async () => {
    engineCalls.length = 0;
    const subframe = { sender: window.webContents, senderFrame: { url: APP_INDEX_URL, parent: {} } } as unknown as IpcMainInvokeEvent;
    expect(await call(subframe, 'getSettings')).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await call({ sender: {}, senderFrame: window.webContents.mainFrame } as never, 'getSettings')).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await call(trusted(), 'eval')).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await call(trusted(), 'updateSettings', { lambda: 7 })).toEqual({ ok: false, error: { code: 'bad_request', message: 'updateSettings: lambda: λ must be between 0 (most efficient) and 1 (best quality)' } });
    expect(await call(trusted(), 'updateSettings', { nodeIntegration: true })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(engineCalls).toEqual([]);
    expect(await call(trusted(), 'updateSettings', { lambda: 0.3 })).toEqual({ ok: true, result: null });
    expect(engineCalls).toEqual([['updateSettings', { lambda: 0.3 }]]);
  });

  it('18. the page comes from the app:// protocol, never file://, and that protocol serves only the renderer folder', async () => {
    expect(window.webContents.mainFrame.url).toBe(APP_INDEX_URL);
    registerAppScheme(protocol as never);
    expect(recorded.privilegedSchemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
    expect((await rendererResponse('app://studio/assets/app.js')).status).toBe(200);
    for (const url of ['app://studio/../secret.txt', 'app://studio/%2e%2e/secret.txt', 'app://studio/..%2fsecret.txt', 'app://other/index.html', 'app://studio/missing.js']) {
      expect((await rendererResponse(url)).status, url).toBe(404);
    }
    expect((await rendererResponse('app://studio/index.html', 'POST')).status).toBe(405);
  });

  it('20. the page sees only the typed bridge, never ipcRenderer or Node', async () => {
    const exposed = new Map<string, unknown>();
    vi.doMock('electron', () => ({
      contextBridge: { exposeInMainWorld: (name: string, value: unknown) => exposed.set(name, value) },
      ipcRenderer: { invoke: async () => ({ ok: true, result: 1 }), on: () => {}, removeListener: () => {} },
      webUtils: { getPathForFile: () => '/dropped/folder' },
    }));
    await import('../preload/index');
    expect([...exposed.keys()]).toEqual(['pareto']);
    const bridge = exposed.get('pareto') as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['call', 'desktop', 'onEvent']);
    expect(Object.keys(bridge.desktop as object).sort()).toEqual(['onImportModelFolder', 'pathForFile']);
    vi.doUnmock('electron');
  });
});

let rendererDir: string | null = null;
function rendererResponse(url: string, method = 'GET'): Promise<Response> {
  if (!rendererDir) {
    const base = mkdtempSync(join(tmpdir(), 'pareto-protocol-'));
    rendererDir = join(base, 'renderer');
    mkdirSync(join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html>');
    writeFileSync(join(rendererDir, 'assets', 'app.js'), 'export {}');
    writeFileSync(join(base, 'secret.txt'), 'not for the page');
  }
  return appProtocolHandler(rendererDir, csp)(new Request(url, { method }));
}
