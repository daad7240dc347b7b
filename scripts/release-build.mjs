#!/usr/bin/env node
// Builds the installers for one platform, signing and notarising only where the secrets are set:
//   node scripts/release-build.mjs --linux|--win|--mac [--publish]
// Without a certificate it builds unsigned and says so (a GitHub Actions warning in CI); with
// --publish the installers and the update feed (latest*.yml) go to the tag's GitHub release.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const argv = new Set(process.argv.slice(2));
const platform = ['--linux', '--win', '--mac'].find((flag) => argv.has(flag));
if (!platform) {
  console.error('[release] say which installers to build: --linux, --win or --mac.');
  process.exit(2);
}
const warn = (message) => console.log(process.env.GITHUB_ACTIONS ? `::warning::${message}` : `[release] ${message}`);
const present = (...names) => names.every((name) => Boolean(process.env[name]));

const env = { ...process.env };
const builderArgs = [platform, '--config', 'build/electron-builder.yml', '--publish', argv.has('--publish') ? 'always' : 'never'];
if (platform === '--win' && !present('WIN_CSC_LINK')) {
  warn('WIN_CSC_LINK is not set: the Windows installers are unsigned, and an installed app will not accept updates signed by anyone.');
  env.CSC_IDENTITY_AUTO_DISCOVERY = 'false';
}
if (platform === '--mac') {
  if (!present('CSC_LINK')) {
    warn('CSC_LINK is not set: the macOS app is signed ad hoc only, so Gatekeeper will warn on first launch; notarisation skipped.');
    env.CSC_IDENTITY_AUTO_DISCOVERY = 'false';
    builderArgs.push('-c.mac.identity=null');
  } else if (present('APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID')) {
    builderArgs.push('-c.mac.notarize=true');
  } else {
    warn('APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD or APPLE_TEAM_ID is not set: the macOS app is signed but not notarised.');
  }
}

function step(label, script, args) {
  console.log(`[release] ${label}`);
  const result = spawnSync(process.execPath, [join(root, script), ...args], { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
step('electron-vite build', 'node_modules/electron-vite/bin/electron-vite.js', ['build']);
step('icons', 'scripts/make-icon.mjs', []);
step(`electron-builder ${builderArgs.join(' ')}`, 'node_modules/electron-builder/cli.js', builderArgs);
