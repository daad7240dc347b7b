// The shell's small parts that need no Electron at all: window placement, log rotation, the
// opt-in updater and the report of work a crash ended.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StudioEvent } from '../../native/contract';
import { createLogger } from '../../native/host/supervisor';
import { consoleAndFileSink, RotatingLogFile } from './log-file';
import { RestartReport } from './restart-report';
import { UpdateController, type Updater } from './updates';
import { DEFAULT_PLACEMENT, loadWindowPlacement, saveWindowPlacement } from './window-state';

const scratch = () => mkdtempSync(join(tmpdir(), 'pareto-shell-'));
const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];

describe('window placement', () => {
  it('reopens where it closed, maximised or not', () => {
    const file = join(scratch(), 'window-state.json');
    saveWindowPlacement(file, { x: 100, y: 80, width: 1400, height: 900 }, true);
    expect(loadWindowPlacement(file, screen)).toEqual({ x: 100, y: 80, width: 1400, height: 900, maximized: true });
  });

  it('opens centred when the saved spot is on a display that is gone, and fits the largest display', () => {
    const file = join(scratch(), 'window-state.json');
    saveWindowPlacement(file, { x: 2500, y: 100, width: 3000, height: 2000 }, false);
    expect(loadWindowPlacement(file, screen)).toEqual({ width: 1920, height: 1080, maximized: false });
  });

  it('starts from the default when the file is missing or damaged', () => {
    const dir = scratch();
    expect(loadWindowPlacement(join(dir, 'none.json'), screen)).toEqual(DEFAULT_PLACEMENT);
    writeFileSync(join(dir, 'bad.json'), '{"x": "left"');
    expect(loadWindowPlacement(join(dir, 'bad.json'), screen)).toEqual(DEFAULT_PLACEMENT);
  });
});

describe('the rotating log file', () => {
  it('rotates past its size and keeps only the newest files', () => {
    const dir = scratch();
    const file = new RotatingLogFile({ dir, name: 'main', maxBytes: 100, keep: 2 });
    for (let i = 0; i < 20; i++) file.write(`line ${String(i).padStart(2, '0')} ${'x'.repeat(30)}`);
    expect(readdirSync(dir).sort()).toEqual(['main.1.log', 'main.2.log', 'main.log']);
    expect(readFileSync(join(dir, 'main.log'), 'utf8')).toMatch(/line 19/);
    expect(readFileSync(join(dir, 'main.2.log'), 'utf8')).not.toMatch(/line 0[0-9]/);
  });

  it('gets every logger line with its time and level, beside the console', () => {
    const dir = scratch();
    const printed: unknown[][] = [];
    const sink = consoleAndFileSink(new RotatingLogFile({ dir, name: 'main', maxBytes: 1e6, keep: 1 }), { info: (...a) => printed.push(a), warn: (...a) => printed.push(a), error: (...a) => printed.push(a) }, () => new Date('2026-01-02T03:04:05Z'));
    createLogger('engine', sink).warn('exit code', 137);
    expect(printed).toEqual([['[pareto:engine]', 'exit code', 137]]);
    expect(readFileSync(join(dir, 'main.log'), 'utf8')).toBe('2026-01-02T03:04:05.000Z warn [pareto:engine] exit code 137\n');
  });
});

function fakeUpdater() {
  const listeners = new Map<string, (value: never) => void>();
  const calls: string[] = [];
  const updater = {
    autoDownload: true,
    autoInstallOnAppQuit: true,
    allowPrerelease: true,
    allowDowngrade: true,
    checkForUpdates: async () => void calls.push('check'),
    downloadUpdate: async () => void calls.push('download'),
    quitAndInstall: () => void calls.push('install'),
    on: (event: string, listener: (value: never) => void) => listeners.set(event, listener),
  } satisfies Updater;
  const fire = (event: string, value: unknown) => listeners.get(event)?.(value as never);
  return { updater, calls, fire };
}

describe('updates', () => {
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  const manualTimers = () => {
    const ticks: Array<() => void> = [];
    return { ticks, timers: { setInterval: (run: () => void) => ticks.push(run), clearInterval: () => ticks.splice(0) } };
  };

  it('loads, checks and downloads nothing until turned on', async () => {
    let loads = 0;
    const fake = fakeUpdater();
    const { timers } = manualTimers();
    const controller = new UpdateController({ loadUpdater: async () => (loads++, fake.updater), confirmRestart: async () => false, log: createLogger('t', console), timers });
    controller.setEnabled(false);
    await settle();
    expect(loads).toBe(0);
    controller.setEnabled(true);
    await settle();
    expect(loads).toBe(1);
    expect(fake.updater).toMatchObject({ autoDownload: false, autoInstallOnAppQuit: false, allowPrerelease: false, allowDowngrade: false });
    expect(fake.calls).toEqual(['check']);
  });

  it('downloads an update only while on, and installs it only when the user says restart', async () => {
    const fake = fakeUpdater();
    const { ticks, timers } = manualTimers();
    let answer = false;
    const controller = new UpdateController({ loadUpdater: async () => fake.updater, confirmRestart: async () => answer, log: createLogger('t', { info() {}, warn() {}, error() {} }), timers });
    controller.setEnabled(true);
    await settle();
    fake.fire('update-available', { version: '0.2.0' });
    fake.fire('update-downloaded', { version: '0.2.0' });
    await settle();
    expect(fake.calls).toEqual(['check', 'download']);
    answer = true;
    fake.fire('update-downloaded', { version: '0.2.0' });
    await settle();
    expect(fake.calls.at(-1)).toBe('install');

    controller.setEnabled(false);
    expect(ticks).toEqual([]);
    fake.fire('update-available', { version: '0.3.0' });
    expect(fake.calls.filter((call) => call === 'download')).toHaveLength(1);
  });
});

describe('the restart report', () => {
  const host = (status: 'ready' | 'crashed' | 'restarting'): StudioEvent => ({ type: 'host', status, message: null });
  const error = (jobId: string): StudioEvent => ({ type: 'error', jobId, message: 'The engine stopped while this job ran.' });

  it('says after a crash how many jobs it ended, running apart from queued', () => {
    const report = new RestartReport();
    report.observe({ type: 'queued', jobId: 'a', position: 0 } as StudioEvent);
    report.observe({ type: 'queued', jobId: 'b', position: 1 } as StudioEvent);
    report.observe({ type: 'queued', jobId: 'c', position: 2 } as StudioEvent);
    report.observe({ type: 'started', jobId: 'a' } as StudioEvent);
    for (const event of [host('crashed'), error('a'), error('b'), error('c'), host('restarting')]) expect(report.observe(event)).toBe(event);
    expect(report.observe(host('ready'))).toEqual({
      type: 'host',
      status: 'ready',
      message: 'The engine restarted. The crash stopped 1 job running and 2 jobs waiting in the queue: run them again. Saved work is kept.',
    });
    expect(report.observe(host('ready'))).toEqual(host('ready'));
  });

  it('says nothing was lost when nothing ran, and leaves a first start alone', () => {
    const report = new RestartReport();
    expect(report.observe(host('ready'))).toEqual(host('ready'));
    report.observe(host('crashed'));
    expect(report.observe(host('ready'))).toMatchObject({ message: 'The engine restarted; nothing was running, so no work was lost.' });
  });
});
