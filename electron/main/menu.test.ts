import { describe, expect, it } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { menuTemplate, type MenuActions } from './menu';

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
}

function template(isPackaged: boolean, platform: NodeJS.Platform) {
  const calls: string[] = [];
  const actions: MenuActions = {
    openOutputFolder: () => calls.push('output'),
    importModelFolder: () => calls.push('import'),
    restartEngine: () => calls.push('restart'),
    showAbout: () => calls.push('about'),
    openLogsFolder: () => calls.push('logs'),
  };
  const top = menuTemplate({ appName: 'Pareto Studio', isPackaged, platform, ...actions });
  const items = flatten(top);
  const click = (label: string) => items.find((item) => item.label === label)?.click?.(undefined as never, undefined, undefined as never);
  const submenu = (label: string) => (top.find((item) => item.label === label || item.role === label)?.submenu ?? []) as MenuItemConstructorOptions[];
  return { top, items, calls, click, submenu, roles: items.map((item) => item.role).filter(Boolean) };
}

describe('menuTemplate', () => {
  it('offers reload and dev tools only when the app is not packaged', () => {
    expect(template(false, 'linux').roles).toEqual(expect.arrayContaining(['toggleDevTools', 'reload', 'forceReload']));
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      expect(template(true, platform).roles).not.toEqual(expect.arrayContaining(['toggleDevTools']));
      expect(template(true, platform).roles).not.toContain('forceReload');
    }
  });

  it('File opens the output folder, imports a model folder and restarts the engine; Help has About and the logs folder', () => {
    const menu = template(true, 'win32');
    expect(menu.submenu('File').map((item) => item.label ?? item.role ?? item.type)).toEqual([
      'Open Output Folder',
      'Import Model Folder…',
      'separator',
      'Restart Engine',
      'separator',
      'quit',
    ]);
    expect(menu.submenu('help').map((item) => item.label)).toEqual(['About Pareto Studio', 'Open Logs Folder']);
    for (const label of ['Open Output Folder', 'Import Model Folder…', 'Restart Engine', 'About Pareto Studio', 'Open Logs Folder']) menu.click(label);
    expect(menu.calls).toEqual(['output', 'import', 'restart', 'about', 'logs']);
  });

  it('View has zoom and full screen; Edit has the standard roles', () => {
    const { submenu, roles } = template(true, 'linux');
    expect(submenu('View').map((item) => item.role).filter(Boolean)).toEqual(['resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']);
    expect(roles).toContain('editMenu');
  });

  it('follows macOS conventions there: the app menu holds About and Quit, File closes the window', () => {
    const { top, submenu, roles } = template(true, 'darwin');
    expect(top[0]?.label).toBe('Pareto Studio');
    expect(roles).toEqual(expect.arrayContaining(['quit', 'hide', 'windowMenu', 'close']));
    expect(submenu('File').at(-1)?.role).toBe('close');
    expect(submenu('help').map((item) => item.label)).toEqual(['Open Logs Folder']);
  });
});
