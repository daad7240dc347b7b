import { describe, expect, it } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { menuTemplate } from './menu';

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
}

function template(isPackaged: boolean, platform: NodeJS.Platform) {
  const calls: string[] = [];
  const items = flatten(
    menuTemplate({ appName: 'Pareto Studio', isPackaged, platform, restartEngine: () => calls.push('restart'), showAbout: () => calls.push('about') }),
  );
  return { items, calls, roles: items.map((item) => item.role).filter(Boolean) };
}

describe('menuTemplate', () => {
  it('offers dev tools only when the app is not packaged', () => {
    expect(template(false, 'linux').roles).toContain('toggleDevTools');
    expect(template(true, 'linux').roles).not.toContain('toggleDevTools');
    expect(template(true, 'win32').roles).not.toContain('forceReload');
  });

  it('has File > Quit, the edit roles, zoom and Help > About', () => {
    const { roles, items, calls } = template(true, 'win32');
    expect(roles).toEqual(expect.arrayContaining(['quit', 'editMenu', 'reload', 'resetZoom', 'zoomIn', 'zoomOut', 'help']));
    const about = items.find((item) => item.label === 'About Pareto Studio');
    const restart = items.find((item) => item.label === 'Restart Engine');
    about?.click?.(undefined as never, undefined, undefined as never);
    restart?.click?.(undefined as never, undefined, undefined as never);
    expect(calls).toEqual(['about', 'restart']);
  });

  it('follows macOS conventions there', () => {
    const top = menuTemplate({ appName: 'Pareto Studio', isPackaged: true, platform: 'darwin', restartEngine: () => {}, showAbout: () => {} });
    expect(top[0]?.label).toBe('Pareto Studio');
    expect(template(true, 'darwin').roles).toEqual(expect.arrayContaining(['quit', 'hide', 'windowMenu', 'close']));
  });
});
