import type { Logger } from '../../native/host/supervisor';

/** The part of electron-updater's autoUpdater the shell uses. */
export interface Updater {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowPrerelease: boolean;
  allowDowngrade: boolean;
  checkForUpdates(): Promise<unknown>;
  downloadUpdate(): Promise<unknown>;
  quitAndInstall(): void;
  on(event: 'update-available', listener: (info: { version: string }) => void): unknown;
  on(event: 'update-downloaded', listener: (info: { version: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface UpdateControllerOptions {
  /** Loads electron-updater; called the first time updates are turned on, never before. */
  loadUpdater(): Promise<Updater>;
  /** Asks the user whether to restart into the downloaded version now. */
  confirmRestart(version: string): Promise<boolean>;
  log: Logger;
  /** How often to look again while the app stays open. */
  intervalMs?: number;
  timers?: { setInterval(run: () => void, ms: number): unknown; clearInterval(handle: unknown): void };
}

const SIX_HOURS = 6 * 60 * 60 * 1000;

/**
 * Updates from GitHub releases, off until the user turns them on in Settings: until then
 * electron-updater is not even loaded, and nothing is checked or downloaded; turning them off
 * stops any further check. electron-updater checks a download against the release's sha512 and,
 * on Windows and macOS, its code signature, before it installs anything.
 */
export class UpdateController {
  #enabled = false;
  #timer: unknown = null;
  #updater: Promise<Updater> | null = null;
  readonly #options: Required<Omit<UpdateControllerOptions, 'timers'>> & Pick<UpdateControllerOptions, 'timers'>;

  constructor(options: UpdateControllerOptions) {
    this.#options = { intervalMs: SIX_HOURS, ...options };
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Follows the Settings toggle: on checks now and every few hours; off stops checking. */
  setEnabled(enabled: boolean): void {
    if (enabled === this.#enabled) return;
    this.#enabled = enabled;
    const timers = this.#options.timers ?? { setInterval: (run: () => void, ms: number) => setInterval(run, ms).unref(), clearInterval: (handle: unknown) => clearInterval(handle as NodeJS.Timeout) };
    if (!enabled) {
      if (this.#timer !== null) timers.clearInterval(this.#timer);
      this.#timer = null;
      return;
    }
    this.#check();
    this.#timer = timers.setInterval(() => this.#check(), this.#options.intervalMs);
  }

  #check(): void {
    this.#updater ??= this.#options.loadUpdater().then((updater) => this.#configure(updater));
    this.#updater
      .then((updater) => (this.#enabled ? updater.checkForUpdates() : null))
      .catch((error: unknown) => this.#options.log.warn('update check failed:', error));
  }

  #configure(updater: Updater): Updater {
    const { log, confirmRestart } = this.#options;
    updater.autoDownload = false;
    updater.autoInstallOnAppQuit = false;
    updater.allowPrerelease = false;
    updater.allowDowngrade = false;
    updater.on('update-available', ({ version }) => {
      if (!this.#enabled) return;
      log.info(`update ${version} is available; downloading it`);
      updater.downloadUpdate().catch((error: unknown) => log.warn(`could not download update ${version}:`, error));
    });
    updater.on('update-downloaded', ({ version }) => {
      void confirmRestart(version).then((restart) => {
        if (restart) updater.quitAndInstall();
      });
    });
    updater.on('error', (error) => log.warn('update check failed:', error.message));
    return updater;
  }
}
