import { BrowserWindow, type WebPreferences } from 'electron';
import { RestartPolicy, type Logger } from '../../native/host/supervisor';
import type { AppSource } from './common/url-policy';
import { MIN_WINDOW_SIZE, type Rectangle, type WindowPlacement } from './window-state';

export interface MainWindowOptions {
  preloadPath: string;
  source: AppSource;
  /** Dev tools are available only when the app is not packaged. */
  devTools: boolean;
  /** Where the window opens: the placement it had when it last closed. */
  placement: WindowPlacement;
  /** Called as the window closes, with its normal (unmaximised) bounds. */
  savePlacement(bounds: Rectangle, maximized: boolean): void;
  log: Logger;
}

export const WINDOW_BACKGROUND = '#101218';

/** The page's powers (Electron's security checklist): no Node, isolated, sandboxed, nothing remote. */
export function secureWebPreferences(preloadPath: string, devTools: boolean): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    enableBlinkFeatures: '',
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools,
  };
}

/** The studio window: sandboxed, context-isolated, no Node in the page, where it last was, shown once painted. */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const { placement } = options;
  const window = new BrowserWindow({
    title: 'Pareto Studio',
    x: placement.x,
    y: placement.y,
    width: placement.width,
    height: placement.height,
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    show: false,
    backgroundColor: WINDOW_BACKGROUND,
    webPreferences: secureWebPreferences(options.preloadPath, options.devTools),
  });
  if (placement.maximized) window.maximize();
  window.on('close', () => options.savePlacement(window.getNormalBounds(), window.isMaximized()));
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
    await window.loadURL(options.source.kind === 'dev' ? options.source.url.href : options.source.indexUrl.href);
  } catch (error) {
    options.log.error('could not load the studio page:', error);
  }
}
