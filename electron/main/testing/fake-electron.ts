// A stand-in for the 'electron' module, for tests that run the built shell (out/main/index.js)
// in plain Node where no Electron binary exists. It records what the shell asks of Electron, and
// its utilityProcess.fork runs the host in a real Node child process with a `process.parentPort`
// shim, so the shell talks to the real engine host over the real message protocol.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants } from 'node:os';
import { pathToFileURL } from 'node:url';

type Handler = (...args: never[]) => unknown;

export const recorded = {
  sandboxEnabled: false,
  paths: new Map<string, string>(),
  ipcHandlers: new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>(),
  windows: [] as BrowserWindow[],
  menu: null as { template: unknown[] } | null,
  privilegedSchemes: [] as unknown[],
  protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
  opened: [] as string[],
  children: [] as UtilityProcess[],
  session: {
    permissionRequest: null as Handler | null,
    permissionCheck: null as Handler | null,
    devicePermission: null as Handler | null,
    displayMedia: null as Handler | null,
    headersReceived: null as Handler | null,
    beforeRequest: null as Handler | null,
  },
};

class WebContents extends EventEmitter {
  readonly sent: Array<{ channel: string; payload: unknown }> = [];
  readonly mainFrame = { url: '', parent: null };
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  send(channel: string, payload: unknown) {
    this.sent.push({ channel, payload });
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = handler;
  }
  getURL() {
    return this.mainFrame.url;
  }
}

export class BrowserWindow extends EventEmitter {
  static getAllWindows() {
    return recorded.windows.filter((window) => !window.destroyed);
  }
  readonly webContents = new WebContents();
  destroyed = false;
  shown = false;
  maximized = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    recorded.windows.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  async loadFile(path: string) {
    this.webContents.mainFrame.url = pathToFileURL(path).href;
    setImmediate(() => this.emit('ready-to-show'));
  }
  async loadURL(url: string) {
    this.webContents.mainFrame.url = url;
    setImmediate(() => this.emit('ready-to-show'));
  }
  show() {
    this.shown = true;
  }
  isDestroyed() {
    return this.destroyed;
  }
  isVisible() {
    return this.shown;
  }
  isMinimized() {
    return false;
  }
  maximize() {
    this.maximized = true;
  }
  isMaximized() {
    return this.maximized;
  }
  getNormalBounds() {
    const { x = 0, y = 0, width, height } = this.options as { x?: number; y?: number; width: number; height: number };
    return { x, y, width, height };
  }
  restore() {}
  focused = false;
  focus() {
    this.focused = true;
  }
}

class App extends EventEmitter {
  isPackaged = false;
  exitCode: number | null = null;
  enableSandbox() {
    recorded.sandboxEnabled = true;
  }
  setPath(name: string, value: string) {
    recorded.paths.set(name, value);
  }
  setAppLogsPath(path: string) {
    recorded.paths.set('logs', path);
  }
  getPath(name: string) {
    const path = recorded.paths.get(name);
    if (!path) throw new Error(`fake electron: no path "${name}" set by the test`);
    return path;
  }
  getVersion() {
    return '0.0.0-test';
  }
  requestSingleInstanceLock() {
    return true;
  }
  whenReady() {
    return Promise.resolve();
  }
  setAboutPanelOptions() {}
  showAboutPanel() {}
  quit() {
    this.emit('will-quit');
  }
  exit(code: number) {
    this.exitCode = code;
  }
}
export const app = new App();

export const session = {
  defaultSession: {
    setPermissionRequestHandler: (handler: Handler) => void (recorded.session.permissionRequest = handler),
    setPermissionCheckHandler: (handler: Handler) => void (recorded.session.permissionCheck = handler),
    setDevicePermissionHandler: (handler: Handler) => void (recorded.session.devicePermission = handler),
    setDisplayMediaRequestHandler: (handler: Handler) => void (recorded.session.displayMedia = handler),
    protocol: {
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => void recorded.protocolHandlers.set(scheme, handler),
    },
    webRequest: {
      onHeadersReceived: (handler: Handler) => void (recorded.session.headersReceived = handler),
      onBeforeRequest: (handler: Handler) => void (recorded.session.beforeRequest = handler),
    },
  },
};

export const ipcMain = {
  handle(channel: string, handler: (event: unknown, ...args: unknown[]) => Promise<unknown>) {
    recorded.ipcHandlers.set(channel, handler);
  },
  removeHandler(channel: string) {
    recorded.ipcHandlers.delete(channel);
  },
};

export const Menu = {
  buildFromTemplate: (template: unknown[]) => ({ template }),
  setApplicationMenu: (menu: { template: unknown[] }) => void (recorded.menu = menu),
};

export const shell = {
  openExternal: async (url: string) => void recorded.opened.push(url),
  openPath: async (path: string) => (recorded.opened.push(path), ''),
};

export const protocol = {
  registerSchemesAsPrivileged: (schemes: unknown[]) => void recorded.privilegedSchemes.push(...schemes),
};

export const screen = {
  getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }],
};

export const dialog = {
  showOpenDialog: async () => ({ canceled: true, filePaths: [] as string[] }),
  showMessageBox: async () => ({ response: 1 }),
};

// Gives the child what Electron gives a utility process: parentPort with MessageEvent-shaped messages.
const PARENT_PORT_SHIM = `data:text/javascript,${encodeURIComponent(`
import { EventEmitter } from 'node:events';
const port = new EventEmitter();
port.postMessage = (message) => process.send(message);
process.on('message', (message) => port.emit('message', { data: message }));
process.parentPort = port;
`)}`;

export class UtilityProcess extends EventEmitter {
  readonly child: ChildProcess;
  exited = false;
  constructor(
    readonly modulePath: string,
    readonly options: { env?: Record<string, string | undefined>; serviceName?: string },
  ) {
    super();
    this.child = fork(modulePath, [], { env: options.env, execArgv: ['--import', PARENT_PORT_SHIM], serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child.on('message', (message) => this.emit('message', message));
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.emit('exit', code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  }
  get pid() {
    return this.child.pid;
  }
  get stdout() {
    return this.child.stdout;
  }
  get stderr() {
    return this.child.stderr;
  }
  postMessage(message: unknown) {
    if (this.child.connected) this.child.send(message as never);
  }
  kill() {
    return this.child.kill();
  }
}

export const utilityProcess = {
  fork(modulePath: string, _args: string[], options: { env?: Record<string, string | undefined>; serviceName?: string }) {
    const child = new UtilityProcess(modulePath, options);
    recorded.children.push(child);
    return child;
  },
};
