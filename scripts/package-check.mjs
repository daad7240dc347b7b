#!/usr/bin/env node
// Packages the app offline as a Linux "dir" build and checks what went into it:
//   node scripts/package-check.mjs [--skip-build] [--keep]     (npm run package:check)
//
// Electron's real binary is not needed: electron-builder copies whatever `electronDist` holds, so a
// stand-in executable is enough. The stand-in carries Electron's fuse wire, so the fuses the config
// asks for are really flipped and read back. The models folder is swapped for a staged one holding
// a probe model and a probe recipe, so the recipes filter is exercised however large models/ is.
// Every download electron-builder might try points at a dead local port: offline, it fails fast.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar');
const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses');
const FuseState = { DISABLE: '0'.charCodeAt(0), ENABLE: '1'.charCodeAt(0) }; // as @electron/fuses writes them
const yaml = require('js-yaml');

const root = resolve(import.meta.dirname, '..');
const args = new Set(process.argv.slice(2));
const log = (message) => console.log(`[package-check] ${message}`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
if (!arch) {
  console.error(`[package-check] this check packages for the machine's CPU, x64 or arm64; this one is ${process.arch}.`);
  process.exit(2);
}

function run(label, command, commandArgs, env = {}) {
  const started = Date.now();
  log(`${label}…`);
  const result = spawnSync(process.execPath, [command, ...commandArgs], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`[package-check] ${label} failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
  const ms = Date.now() - started;
  log(`${label} took ${seconds(ms)}`);
  return ms;
}

/** A file that passes for Electron's executable: a shell stub followed by the fuse sentinel and wire. */
function writeStandInElectron(dir) {
  mkdirSync(dir, { recursive: true });
  const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
  // Fuse wire v1 as Electron ships it: version, length, then one byte per fuse ('1' on, '0' off).
  const defaults = '10110001'; // RunAsNode, cookies, NODE_OPTIONS, --inspect, asar integrity, asar only, v8 snapshot, file://
  const wire = Buffer.concat([Buffer.from([1, defaults.length]), Buffer.from(defaults, 'ascii')]);
  const file = join(dir, 'electron');
  writeFileSync(file, Buffer.concat([Buffer.from('#!/bin/sh\necho "stand-in Electron for package-check"\n'), Buffer.from(SENTINEL), wire]));
  chmodSync(file, 0o755);
  writeFileSync(join(dir, 'version'), JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version);
}

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** Production dependencies and everything they need, read from the installed node_modules. */
function productionClosure(pkg) {
  const seen = new Set();
  const queue = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies });
  while (queue.length > 0) {
    const name = queue.shift();
    if (seen.has(name)) continue;
    seen.add(name);
    const manifest = join(root, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) continue;
    const dep = JSON.parse(readFileSync(manifest, 'utf8'));
    queue.push(...Object.keys({ ...dep.dependencies, ...dep.optionalDependencies }));
  }
  return seen;
}

const totalStarted = Date.now();
if (!args.has('--skip-build')) run('electron-vite build', join(root, 'node_modules/electron-vite/bin/electron-vite.js'), ['build']);
for (const file of ['out/main/index.js', 'out/native/host.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
  if (!existsSync(join(root, file))) {
    console.error(`[package-check] ${file} is missing: run \`npx electron-vite build\` first, or drop --skip-build.`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'pareto-package-check-'));
process.on('exit', () => {
  if (args.has('--keep')) log(`kept the build in ${work}`);
  else rmSync(work, { recursive: true, force: true });
});
const electronDist = join(work, 'electron-dist');
const output = join(work, 'release');
const stagedModels = join(work, 'models');
writeStandInElectron(electronDist);
mkdirSync(join(stagedModels, 'recipes'), { recursive: true });
mkdirSync(join(stagedModels, 'probe-student'), { recursive: true });
writeFileSync(join(stagedModels, 'recipes', 'distill.py'), '# probe: recipes must stay out of the app\n');
writeFileSync(join(stagedModels, 'probe-student', 'pareto.json'), '{"kind":"text","probe":true}\n');

const config = yaml.load(readFileSync(join(root, 'build/electron-builder.yml'), 'utf8'));
const modelsEntry = config.extraResources?.[0];
if (modelsEntry?.from !== 'models' || modelsEntry?.to !== 'models') {
  console.error('[package-check] build/electron-builder.yml: extraResources[0] is expected to copy models → models.');
  process.exit(1);
}
modelsEntry.from = stagedModels;
config.electronDist = electronDist;
config.directories = { ...config.directories, output };
const configFile = join(work, 'electron-builder.json');
writeFileSync(configFile, JSON.stringify(config, null, 2));

const deadEnd = 'http://127.0.0.1:9/offline-package-check/';
const packageMs = run(
  'electron-builder --linux dir',
  join(root, 'node_modules/electron-builder/cli.js'),
  ['--linux', 'dir', `--${arch}`, '--config', configFile, '--publish', 'never'],
  { CSC_IDENTITY_AUTO_DISCOVERY: 'false', ELECTRON_MIRROR: deadEnd, ELECTRON_BUILDER_BINARIES_MIRROR: deadEnd, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
);

// ---- what went in ----------------------------------------------------------------------------
const failures = [];
const check = (ok, message) => {
  if (!ok) failures.push(message);
};

const appOut = join(output, arch === 'x64' ? 'linux-unpacked' : `linux-${arch}-unpacked`);
const resources = join(appOut, 'resources');
const archive = join(resources, 'app.asar');
const unpackedDir = join(resources, 'app.asar.unpacked');
check(existsSync(archive), `no app.asar in ${relative(work, resources)}`);
const entries = existsSync(archive) ? asar.listPackage(archive, { isPack: false }).map((p) => p.replaceAll('\\', '/').replace(/^\//, '')) : [];
const inArchive = new Set(entries);
const unpacked = walk(unpackedDir).map((file) => relative(unpackedDir, file).replaceAll('\\', '/'));
const ours = entries.filter((p) => p !== 'node_modules' && !p.startsWith('node_modules/'));

for (const file of ['package.json', 'out/main/index.js', 'out/native/host.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
  check(inArchive.has(file), `${file} is not in app.asar`);
  if (inArchive.has(file)) check(!asar.statFile(archive, file).unpacked, `${file} should be inside app.asar, not unpacked`);
}

const ortDir = `node_modules/onnxruntime-node/bin/napi-v6/linux/${arch}`;
const binding = `${ortDir}/onnxruntime_binding.node`;
check(unpacked.includes(binding), `${binding} is not in app.asar.unpacked`);
check(unpacked.some((p) => p.startsWith(`${ortDir}/libonnxruntime.so`)), `libonnxruntime.so* for linux/${arch} is not in app.asar.unpacked`);
if (inArchive.has(binding)) check(asar.statFile(archive, binding).unpacked === true, `${binding} is listed in app.asar but not marked unpacked`);
const foreignOrt = [...entries, ...unpacked].filter((p) => /^node_modules\/onnxruntime-node\/bin\/napi-v\d+\/[^/]+\/[^/]+\//.test(p) && !p.startsWith(`${ortDir}/`));
check(foreignOrt.length === 0, `onnxruntime-node binaries for other platforms were packaged: ${[...new Set(foreignOrt)].slice(0, 5).join(', ')}`);

const outsideOut = ours.filter((p) => p !== 'package.json' && p !== 'out' && !p.startsWith('out/'));
check(outsideOut.length === 0, `app.asar holds files besides out/ and package.json: ${outsideOut.slice(0, 8).join(', ')}`);
const tests = [...ours, ...unpacked.filter((p) => !p.startsWith('node_modules/'))].filter((p) => /\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)(e2e|__tests__|fixtures|shared)(\/|$)/.test(p));
check(tests.length === 0, `tests or fixtures were packaged: ${tests.slice(0, 8).join(', ')}`);
const maps = ours.filter((p) => p.endsWith('.map'));
check(maps.length === 0, `source maps were packaged: ${maps.slice(0, 5).join(', ')}`);

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const needed = productionClosure(pkg);
const devOnly = Object.keys(pkg.devDependencies ?? {}).filter((name) => !needed.has(name));
const topLevel = new Set(entries.filter((p) => p.startsWith('node_modules/')).map((p) => p.split('/').slice(1, p.split('/')[1]?.startsWith('@') ? 3 : 2).join('/')));
const leaked = devOnly.filter((name) => topLevel.has(name));
check(leaked.length === 0, `devDependencies were packaged: ${leaked.join(', ')}`);
for (const name of ['electron', 'vitest', 'electron-vite', 'typescript', '@playwright/test', 'electron-builder', 'tsx', 'esbuild']) {
  check(!topLevel.has(name), `${name} must not be in the package`);
}
for (const name of Object.keys(pkg.dependencies ?? {}).filter((name) => name !== 'tsx')) {
  check(topLevel.has(name), `production dependency ${name} is missing from the package`);
}

const packagedModels = walk(join(resources, 'models')).map((file) => relative(resources, file).replaceAll('\\', '/'));
check(packagedModels.includes('models/probe-student/pareto.json'), 'models/ was not copied to <resources>/models');
check(!packagedModels.some((p) => p.startsWith('models/recipes')), 'models/recipes was packaged');
check(!entries.some((p) => p.startsWith('models')), 'models/ ended up inside app.asar');

const executable = join(appOut, config.linux?.executableName ?? 'pareto-studio');
check(existsSync(executable), `the app executable ${relative(work, executable)} is missing`);
if (existsSync(executable)) {
  const wire = await getCurrentFuseWire(executable);
  const want = {
    RunAsNode: FuseState.DISABLE,
    EnableCookieEncryption: FuseState.ENABLE,
    EnableNodeOptionsEnvironmentVariable: FuseState.DISABLE,
    EnableNodeCliInspectArguments: FuseState.DISABLE,
    OnlyLoadAppFromAsar: FuseState.ENABLE,
  };
  for (const [fuse, state] of Object.entries(want)) {
    check(wire[FuseV1Options[fuse]] === state, `fuse ${fuse} is ${String.fromCharCode(wire[FuseV1Options[fuse]])}, expected ${String.fromCharCode(state)}`);
  }
}

const size = (files, base) => files.reduce((sum, file) => sum + statSync(join(base, file)).size, 0);
log(`app.asar: ${entries.length} entries, ${(statSync(archive).size / 1e6).toFixed(1)} MB; app.asar.unpacked: ${unpacked.length} files, ${(size(unpacked, unpackedDir) / 1e6).toFixed(1)} MB`);
log(`packaged dependencies: ${[...topLevel].filter((name) => !/^@[^/]+$/.test(name)).sort().join(', ')}`);

const total = seconds(Date.now() - totalStarted);
if (failures.length > 0) {
  for (const failure of failures) console.error(`[package-check] FAIL ${failure}`);
  console.error(`[package-check] ${failures.length} problem(s); packaging took ${seconds(packageMs)}, ${total} in all.`);
  process.exit(1);
}
log(`OK: linux-${arch} dir package is complete and clean (packaging ${seconds(packageMs)}, ${total} in all).`);
