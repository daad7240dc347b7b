import { spawn } from 'node:child_process';
import { ApiError } from '../contract';

/** The desktop's own way to show a folder, per platform. */
const OPENERS: Partial<Record<NodeJS.Platform, string>> = { linux: 'xdg-open', darwin: 'open', win32: 'explorer.exe', freebsd: 'xdg-open' };

/** Shows a folder in the system's file manager; says in words when this machine has none to ask. */
export function openFolderInFileManager(dir: string): Promise<void> {
  const opener = OPENERS[process.platform];
  if (!opener) return Promise.reject(new ApiError('bad_request', `This studio cannot open folders on ${process.platform}; the folder is ${dir}.`));
  return new Promise((resolve, reject) => {
    const child = spawn(opener, [dir], { detached: true, stdio: 'ignore' });
    child.once('error', () => reject(new ApiError('bad_request', `${opener} is not available on this machine, so the folder cannot be shown; it is ${dir}.`)));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
