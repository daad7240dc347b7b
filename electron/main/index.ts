// The desktop shell's entry (SPEC §1, §6): one secure window served from app://, the engine host
// in a utilityProcess that is restarted when it crashes, and the IPC bridge between them.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BrowserWindow, Menu, app, dialog, protocol, screen, session, shell, type IpcMainInvokeEvent } from 'electron';
import { IPC_CHANNELS, SettingsSchema, type ApiMethod, type CallOutcome, type StudioEvent } from '../../native/contract';
import { EngineSupervisor, createLogger } from '../../native/host/supervisor';
import { appSource, contentSecurityPolicy, isAppPage } from './common/url-policy';
import { registerAppScheme, serveRenderer } from './app-protocol';
import { utilityHostLauncher } from './host-process';
import { registerCallHandler } from './ipc';
import { consoleAndFileSink, RotatingLogFile } from './log-file';
import { menuTemplate } from './menu';
import { RestartReport } from './restart-report';
import { applySessionPolicy, guardAllWebContents } from './security';
import { UpdateController } from './updates';
import { createMainWindow } from './window';
import { loadWindowPlacement, saveWindowPlacement } from './window-state';

const here = import.meta.dirname; // out/main, inside app.asar when packaged
const paths = {
  preload: join(here, '../preload/index.cjs'),
  host: join(here, '../native/host.js'),
  renderer: join(here, '../renderer'),
  models: app.isPackaged ? join(process.resourcesPath, 'models') : resolve(here, '../../models'),
};
const source = appSource(app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL);

// Every renderer is sandboxed, whatever its webPreferences say. Both must run before `ready`.
app.enableSandbox();
registerAppScheme(protocol);
// Lets tests and portable setups keep their data apart from the user's profile.
if (process.env.PARETO_USER_DATA_DIR) app.setPath('userData', resolve(process.env.PARETO_USER_DATA_DIR));
const userData = app.getPath('userData');
app.setAppLogsPath(join(userData, 'logs'));
const logFile = new RotatingLogFile({ dir: app.getPath('logs'), name: 'main', maxBytes: 2 * 1024 * 1024, keep: 3 });
const logSink = consoleAndFileSink(logFile, console);
const log = createLogger('main', logSink);

let mainWindow: BrowserWindow | null = null;

function sendToWindow(channel: string, payload: unknown): void {
  if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(channel, payload);
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
  const placementFile = join(userData, 'window-state.json');
  mainWindow = createMainWindow({
    preloadPath: paths.preload,
    source,
    devTools: !app.isPackaged,
    placement: loadWindowPlacement(placementFile, screen.getAllDisplays().map((display) => display.workArea)),
    savePlacement: (bounds, maximized) => {
      try {
        saveWindowPlacement(placementFile, bounds, maximized);
      } catch (error) {
        log.warn('could not save the window position:', error);
      }
    },
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

function openFolder(folder: string): void {
  mkdirSync(folder, { recursive: true });
  void shell.openPath(folder).then((problem) => {
    if (problem) log.warn(`could not open ${folder}: ${problem}`);
  });
}

async function pickModelFolder(): Promise<void> {
  const options = { title: 'Import a model folder', properties: ['openDirectory' as const] };
  const picked = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  const [folder] = picked.filePaths;
  if (!picked.canceled && folder) sendToWindow(IPC_CHANNELS.importModelFolder, folder);
}

function updateController(): UpdateController {
  return new UpdateController({
    loadUpdater: async () => (await import('electron-updater')).default.autoUpdater,
    log: createLogger('updates', logSink),
    confirmRestart: async (version) => {
      const options = { type: 'info' as const, message: `Pareto Studio ${version} is ready to install.`, detail: 'Restart now to use it, or later: it installs the next time you quit.', buttons: ['Restart Now', 'Later'], defaultId: 0, cancelId: 1 };
      const answer = mainWindow ? await dialog.showMessageBox(mainWindow, options) : await dialog.showMessageBox(options);
      return answer.response === 0;
    },
  });
}

async function main(): Promise<void> {
  guardAllWebContents(app, source, log);
  await app.whenReady();

  applySessionPolicy(session.defaultSession, source, log);
  if (source.kind === 'app') serveRenderer(session.defaultSession.protocol, paths.renderer, contentSecurityPolicy(source));

  const updates = updateController();
  // The shell follows the update toggle from the settings the host holds: read at each engine
  // start and from every settings answer that passes through.
  const followSettings = (method: ApiMethod, outcome: CallOutcome) => {
    if ((method === 'getSettings' || method === 'updateSettings') && outcome.ok) {
      const settings = SettingsSchema.safeParse(outcome.result);
      // An unpackaged build has no release to update from.
      if (settings.success) updates.setEnabled(app.isPackaged && settings.data.checkForUpdates);
    }
    return outcome;
  };
  const report = new RestartReport();
  const engineLog = createLogger('engine', logSink);
  const engine: EngineSupervisor = new EngineSupervisor({
    launch: utilityHostLauncher({ modulePath: paths.host, dataDir: userData, modelsDir: paths.models, log: engineLog }),
    emit: (event: StudioEvent) => {
      const reported = report.observe(event);
      sendToWindow(IPC_CHANNELS.event, reported);
      if (reported.type === 'host' && reported.status === 'ready') void engine.call('getSettings', undefined).then((outcome) => followSettings('getSettings', outcome));
    },
    log: engineLog,
  });
  registerCallHandler({ isTrustedSender, call: async (method, params) => followSettings(method, await engine.call(method, params)), log });

  app.setAboutPanelOptions({
    applicationName: 'Pareto Studio',
    applicationVersion: app.getVersion(),
    copyright: 'MIT licence',
    credits: 'Offline stories and small images with compact distilled models and one quality–efficiency slider.',
  });
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate({
        appName: 'Pareto Studio',
        isPackaged: app.isPackaged,
        platform: process.platform,
        // Where the host keeps finished images (PARETO_HOME/history/images).
        openOutputFolder: () => openFolder(join(userData, 'history', 'images')),
        importModelFolder: () => void pickModelFolder().catch((error: unknown) => log.warn('could not pick a model folder:', error)),
        restartEngine: () => engine.restart(),
        showAbout: () => app.showAboutPanel(),
        openLogsFolder: () => openFolder(app.getPath('logs')),
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
  app.on('will-quit', () => {
    updates.setEnabled(false);
    engine.stop();
  });
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
