// The desktop shell's entry (SPEC §1, §6): one secure window, the engine host in a
// utilityProcess that is restarted when it crashes, and the IPC bridge between them.
import { join, resolve } from 'node:path';
import { BrowserWindow, Menu, app, session, type IpcMainInvokeEvent } from 'electron';
import { IPC_CHANNELS, type StudioEvent } from '../../native/contract';
import { EngineSupervisor, createLogger } from '../../native/host/supervisor';
import { appSource, isAppPage } from './common/url-policy';
import { utilityHostLauncher } from './host-process';
import { registerCallHandler } from './ipc';
import { menuTemplate } from './menu';
import { applySessionPolicy, guardAllWebContents } from './security';
import { createMainWindow } from './window';

const log = createLogger('main');
const here = import.meta.dirname; // out/main, inside app.asar when packaged
const paths = {
  preload: join(here, '../preload/index.cjs'),
  host: join(here, '../native/host.js'),
  rendererIndex: join(here, '../renderer/index.html'),
  models: app.isPackaged ? join(process.resourcesPath, 'models') : resolve(here, '../../models'),
};
const source = appSource(paths.rendererIndex, app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL);

// Every renderer is sandboxed, whatever its webPreferences say. Must run before `ready`.
app.enableSandbox();
// Lets tests and portable setups keep their data apart from the user's profile.
if (process.env.PARETO_USER_DATA_DIR) app.setPath('userData', resolve(process.env.PARETO_USER_DATA_DIR));

let mainWindow: BrowserWindow | null = null;

function sendToWindow(event: StudioEvent): void {
  if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_CHANNELS.event, event);
}

function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return (
    mainWindow !== null &&
    !mainWindow.isDestroyed() &&
    event.sender === mainWindow.webContents &&
    frame !== null &&
    frame === event.sender.mainFrame &&
    isAppPage(frame.url, source)
  );
}

function openWindow(): void {
  mainWindow = createMainWindow({
    preloadPath: paths.preload,
    rendererIndex: paths.rendererIndex,
    source,
    devTools: !app.isPackaged,
    log,
  });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
}

function focusWindow(): void {
  if (!mainWindow) return openWindow();
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.focus();
}

async function main(): Promise<void> {
  guardAllWebContents(app, source, log);
  await app.whenReady();

  applySessionPolicy(session.defaultSession, source, log);
  const engine = new EngineSupervisor({
    launch: utilityHostLauncher({ modulePath: paths.host, dataDir: app.getPath('userData'), modelsDir: paths.models, log: createLogger('engine') }),
    emit: sendToWindow,
    log: createLogger('engine'),
  });
  registerCallHandler({ isTrustedSender, call: (method, params) => engine.call(method, params), log });

  app.setAboutPanelOptions({
    applicationName: 'Pareto Studio',
    applicationVersion: app.getVersion(),
    copyright: 'MIT licence',
    credits: 'Offline stories with compact distilled models and one quality–efficiency slider.',
  });
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate({
        appName: 'Pareto Studio',
        isPackaged: app.isPackaged,
        platform: process.platform,
        restartEngine: () => engine.restart(),
        showAbout: () => app.showAboutPanel(),
      }),
    ),
  );

  engine.start();
  openWindow();

  app.on('second-instance', focusWindow);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => engine.stop());
}

if (app.requestSingleInstanceLock()) {
  main().catch((error: unknown) => {
    log.error('the studio could not start:', error);
    app.exit(1);
  });
} else {
  // Another instance owns the profile; it gets focus through its 'second-instance' event.
  app.quit();
}
