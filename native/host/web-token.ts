import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const TOKEN_FILE = 'web-token';
const TOKEN_PATTERN = /^[\w-]{32,}$/;

/**
 * The web mode's access token, kept in the data folder (readable by its owner only), so a tab left open
 * reconnects when `pareto serve` restarts instead of being refused. A missing or damaged file gets a new one.
 */
export function webModeToken(dataDir: string): string {
  const file = path.join(dataDir, TOKEN_FILE);
  try {
    const saved = fs.readFileSync(file, 'utf8').trim();
    if (TOKEN_PATTERN.test(saved)) return saved;
  } catch {
    // No token yet: make one below.
  }
  const token = crypto.randomBytes(24).toString('base64url');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, token, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return token;
}
