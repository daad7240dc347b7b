import { BrowserWindow } from 'electron';
import { RestartPolicy, type Logger } from '../../native/host/supervisor';
import type { AppSource } from './common/url-policy';

export interface MainWindowOptions {
  preloadPath: string;
  rendererIndex: string;
  source: AppSource;
  /** Dev tools are available only when the app is not packaged. */
  devTools: boolean;
  log: Logger;
}

export const WINDOW_BACKGROUND = '#101218';

/** The studio window: sandboxed, context-isolated, no Node in the page, shown once painted. */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    title: 'Pareto Studio',
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 640,
    show: false,
    backgroundColor: WINDOW_BACKGROUND,
    webPreferences: {
      preload: options.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: options.devTools,
    },
  });
  window.once('ready-to-show', () => window.show());
  // Should the first paint never come (a page that fails to load), show the window anyway.
  setTimeout(() => {
    if (!window.isDestroyed() && !window.isVisible()) window.show();
  }, 5_000).unref();
  // The page sets its own <title>; the window keeps the product name.
  window.on('page-title-updated', (event) => event.preventDefault());
  // A crashed page is reloaded, but not in a loop: after three crashes in 30 s it stays as it is.
  const reloads = new RestartPolicy({ maxRestarts: 3, windowMs: 30_000, baseDelayMs: 0, maxDelayMs: 0 });
  window.webContents.on('render-process-gone', (_event, details) => {
    if (details.reason === 'clean-exit' || window.isDestroyed()) return;
    const decision = reloads.recordCrash();
    options.log.error(`the window's page is gone (${details.reason}); ${decision.action === 'restart' ? 'reloading it' : 'too many times, not reloading'}`);
    if (decision.action === 'restart') void load(window, options);
  });
  void load(window, options);
  return window;
}

async function load(window: BrowserWindow, options: MainWindowOptions): Promise<void> {
  try {
    if (options.source.kind === 'dev') await window.loadURL(options.source.url.href);
    else await window.loadFile(options.rendererIndex);
  } catch (error) {
    options.log.error('could not load the studio page:', error);
  }
}
