import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  openOutputFolder(): void;
  importModelFolder(): void;
  restartEngine(): void;
  showAbout(): void;
  openLogsFolder(): void;
}

export interface MenuOptions extends MenuActions {
  appName: string;
  isPackaged: boolean;
  platform: NodeJS.Platform;
}

const separator: MenuItemConstructorOptions = { type: 'separator' };

/**
 * The application menu: File (output folder, import a model folder, restart the engine), Edit,
 * View (zoom, full screen; reload and dev tools only in development), Help (about, logs folder).
 */
export function menuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const mac = options.platform === 'darwin';
  const about: MenuItemConstructorOptions = { label: `About ${options.appName}`, click: () => options.showAbout() };
  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    template.push({
      label: options.appName,
      submenu: [about, separator, { role: 'services' }, separator, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, separator, { role: 'quit' }],
    });
  }
  const development: MenuItemConstructorOptions[] = options.isPackaged ? [] : [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, separator];
  template.push(
    {
      label: 'File',
      submenu: [
        { label: 'Open Output Folder', accelerator: 'CmdOrCtrl+Shift+O', click: () => options.openOutputFolder() },
        { label: 'Import Model Folder…', accelerator: 'CmdOrCtrl+I', click: () => options.importModelFolder() },
        separator,
        { label: 'Restart Engine', click: () => options.restartEngine() },
        separator,
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [...development, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, separator, { role: 'togglefullscreen' }],
    },
  );
  if (mac) template.push({ role: 'windowMenu' });
  template.push({ role: 'help', submenu: [...(mac ? [] : [about]), { label: 'Open Logs Folder', click: () => options.openLogsFolder() }] });
  return template;
}
