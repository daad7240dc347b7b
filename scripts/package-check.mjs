#!/usr/bin/env node
// Packages the app offline as electron-builder "dir" builds and checks what went into each:
//   node scripts/package-check.mjs [--target linux-x64,win32-x64,darwin-arm64] [--skip-build] [--keep]
//   (npm run package:check: this machine's Linux build, then the Windows and macOS stand-ins)
//
// Electron's real binaries are not needed: electron-builder copies whatever `electronDist` holds, so
// a stand-in for each platform's layout is enough (an executable, or Electron.app with its helpers
// and framework). Each stand-in carries Electron's fuse wire, so the fuses the config asks for are
// really flipped by electron-builder and read back here from the packaged binary. The models folder
// is swapped for a staged one holding a probe model and a probe recipe, so the recipes filter is
// exercised however large models/ is. Every download electron-builder might try points at a dead
// local port: offline, it fails fast. Code signing and Windows resource editing are off (they need
// the signing tools); everything that decides what the package holds runs as in a release.
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
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => argv[argv.indexOf(name) + 1];
const log = (message) => console.log(`[package-check] ${message}`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const MB = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

const hostArch = { x64: 'x64', arm64: 'arm64' }[process.arch];
if (!hostArch) {
  console.error(`[package-check] the Linux build packages for this machine's CPU, x64 or arm64; this one is ${process.arch}.`);
  process.exit(2);
}
const TARGETS = {
  [`linux-${hostArch}`]: { platform: 'linux', arch: hostArch, flag: '--linux' },
  'win32-x64': { platform: 'win32', arch: 'x64', flag: '--win' },
  'darwin-arm64': { platform: 'darwin', arch: 'arm64', flag: '--mac' },
};
const wanted = (flag('--target') ? option('--target').split(',') : Object.keys(TARGETS)).map((name) => {
  if (!TARGETS[name]) {
    console.error(`[package-check] unknown target "${name}"; it should be one of: ${Object.keys(TARGETS).join(', ')}.`);
    process.exit(2);
  }
  return { name, ...TARGETS[name] };
});
/** Payload (app.asar, its unpacked part and the models) above which the Linux x64 build fails the check. */
const LINUX_X64_BUDGET_BYTES = 150e6;

function run(label, command, commandArgs, env = {}) {
  const started = Date.now();
  log(`${label}…`);
  const result = spawnSync(process.execPath, [command, ...commandArgs], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`[package-check] ${label} failed (exit ${result.status ?? result.signal}).`);
    process.exit(1);
  }
  return Date.now() - started;
}

// ---- stand-in Electron for each platform -------------------------------------------------------
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
// Fuse wire v1 as Electron ships it: version, length, then one byte per fuse ('1' on, '0' off):
// RunAsNode, cookies, NODE_OPTIONS, --inspect, asar integrity, asar only, v8 snapshot, file://, ad-hoc signature.
const DEFAULT_FUSES = '101100011';
const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version;

function writeFuseBinary(file, stub) {
  mkdirSync(resolve(file, '..'), { recursive: true });
  if (existsSync(file)) rmSync(file);
  const wire = Buffer.concat([Buffer.from([1, DEFAULT_FUSES.length]), Buffer.from(DEFAULT_FUSES, 'ascii')]);
  writeFileSync(file, Buffer.concat([typeof stub === 'string' ? Buffer.from(stub) : stub, Buffer.from(SENTINEL), wire]));
  chmodSync(file, 0o755);
}

const plist = (entries) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict>${Object.entries(entries)
    .map(([key, value]) => `<key>${key}</key><string>${value}</string>`)
    .join('')}</dict></plist>\n`;

function writeStandInElectron(dir, platform) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'version'), electronVersion);
  if (platform === 'linux') return writeFuseBinary(join(dir, 'electron'), '#!/bin/sh\necho "stand-in Electron for package-check"\n');
  // electron-builder writes the asar hash into the exe's resources, so the Windows stand-in must be a
  // real PE file with version info: rcedit's (installed with electron-builder's Squirrel target).
  if (platform === 'win32') return writeFuseBinary(join(dir, 'electron.exe'), readFileSync(require.resolve('electron-winstaller/vendor/rcedit.exe')));
  const contents = join(dir, 'Electron.app', 'Contents');
  mkdirSync(contents, { recursive: true });
  writeFileSync(join(contents, 'Info.plist'), plist({ CFBundleExecutable: 'Electron', CFBundleIdentifier: 'com.github.Electron', CFBundleName: 'Electron', CFBundleDisplayName: 'Electron', CFBundleVersion: electronVersion }));
  writeFuseBinary(join(contents, 'MacOS', 'Electron'), '#!/bin/sh\n');
  mkdirSync(join(contents, 'Resources'), { recursive: true });
  writeFuseBinary(join(contents, 'Frameworks', 'Electron Framework.framework', 'Electron Framework'), 'stand-in framework\n');
  for (const suffix of ['', ' (GPU)', ' (Plugin)', ' (Renderer)']) {
    const helper = join(contents, 'Frameworks', `Electron Helper${suffix}.app`, 'Contents');
    mkdirSync(join(helper, 'MacOS'), { recursive: true });
    writeFileSync(join(helper, 'Info.plist'), plist({ CFBundleExecutable: `Electron Helper${suffix}`, CFBundleIdentifier: 'com.github.Electron.helper', CFBundleName: `Electron Helper${suffix}` }));
    writeFileSync(join(helper, 'MacOS', `Electron Helper${suffix}`), '#!/bin/sh\n');
  }
}

// ---- what went in ------------------------------------------------------------------------------
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

/** Where electron-builder put each platform's dir build, its resources, and what holds the fuses (on macOS, the .app: its framework). */
function layout(output, target, config) {
  const suffix = target.arch === 'x64' ? '' : `-${target.arch}`;
  if (target.platform === 'linux') {
    const app = join(output, `linux${suffix}-unpacked`);
    return { resources: join(app, 'resources'), fuseBinary: join(app, config.linux?.executableName ?? 'pareto-studio') };
  }
  if (target.platform === 'win32') {
    const app = join(output, `win${suffix}-unpacked`);
    return { resources: join(app, 'resources'), fuseBinary: join(app, `${config.productName}.exe`) };
  }
  const app = join(output, target.arch === 'x64' ? 'mac' : `mac-${target.arch}`, `${config.productName}.app`);
  return { resources: join(app, 'Contents', 'Resources'), fuseBinary: app, infoPlist: join(app, 'Contents', 'Info.plist') };
}

/** The libraries each platform's onnxruntime-node folder must ship (and nothing else beside the binding). */
const ORT_LIBRARIES = {
  linux: ['libonnxruntime.so.1'],
  win32: ['onnxruntime.dll', 'DirectML.dll', 'dxcompiler.dll', 'dxil.dll'],
  darwin: ['libonnxruntime.1.dylib'],
};

const FUSES_WANTED = {
  RunAsNode: FuseState.DISABLE,
  EnableCookieEncryption: FuseState.ENABLE,
  EnableNodeOptionsEnvironmentVariable: FuseState.DISABLE,
  EnableNodeCliInspectArguments: FuseState.DISABLE,
  EnableEmbeddedAsarIntegrityValidation: FuseState.ENABLE,
  OnlyLoadAppFromAsar: FuseState.ENABLE,
  GrantFileProtocolExtraPrivileges: FuseState.DISABLE,
};

async function inspect(target, output, config, check) {
  const where = layout(output, target, config);
  const { resources } = where;
  const archive = join(resources, 'app.asar');
  const unpackedDir = join(resources, 'app.asar.unpacked');
  check(existsSync(archive), `no app.asar in ${resources}`);
  if (!existsSync(archive)) return null;
  const entries = asar.listPackage(archive, { isPack: false }).map((p) => p.replaceAll('\\', '/').replace(/^\//, ''));
  const inArchive = new Set(entries);
  const unpacked = walk(unpackedDir).map((file) => relative(unpackedDir, file).replaceAll('\\', '/'));
  const ours = entries.filter((p) => p !== 'node_modules' && !p.startsWith('node_modules/'));

  for (const file of ['package.json', 'out/main/index.js', 'out/native/host.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
    check(inArchive.has(file), `${file} is not in app.asar`);
    if (inArchive.has(file)) check(!asar.statFile(archive, file).unpacked, `${file} should be inside app.asar, not unpacked`);
  }

  const ortDir = `node_modules/onnxruntime-node/bin/napi-v6/${target.platform}/${target.arch}`;
  const binding = `${ortDir}/onnxruntime_binding.node`;
  check(unpacked.includes(binding), `${binding} is not in app.asar.unpacked`);
  if (inArchive.has(binding)) check(asar.statFile(archive, binding).unpacked === true, `${binding} is listed in app.asar but not marked unpacked`);
  const ortFiles = unpacked.filter((p) => p.startsWith(`${ortDir}/`)).map((p) => p.slice(ortDir.length + 1));
  check(
    JSON.stringify(ortFiles.sort()) === JSON.stringify(['onnxruntime_binding.node', ...ORT_LIBRARIES[target.platform]].sort()),
    `${ortDir} holds ${ortFiles.join(', ')}; expected the binding and ${ORT_LIBRARIES[target.platform].join(', ')} only`,
  );
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

  const models = walk(join(resources, 'models'));
  const packagedModels = models.map((file) => relative(resources, file).replaceAll('\\', '/'));
  check(packagedModels.includes('models/probe-student/pareto.json'), 'models/ was not copied to <resources>/models');
  check(!packagedModels.some((p) => p.startsWith('models/recipes')), 'models/recipes was packaged');
  check(!entries.some((p) => p.startsWith('models')), 'models/ ended up inside app.asar');

  check(existsSync(where.fuseBinary), `the binary with the fuses, ${where.fuseBinary}, is missing`);
  if (existsSync(where.fuseBinary)) {
    const wire = await getCurrentFuseWire(where.fuseBinary);
    for (const [fuse, state] of Object.entries(FUSES_WANTED)) {
      check(wire[FuseV1Options[fuse]] === state, `fuse ${fuse} is ${String.fromCharCode(wire[FuseV1Options[fuse]])}, expected ${String.fromCharCode(state)}`);
    }
  }
  if (target.platform === 'win32' && existsSync(where.fuseBinary)) {
    const resedit = require('resedit');
    const resources = resedit.NtExecutableResource.from(resedit.NtExecutable.from(readFileSync(where.fuseBinary))).entries;
    check(resources.some((entry) => entry.type === 'INTEGRITY' && entry.id === 'ELECTRONASAR'), 'the exe carries no INTEGRITY/ELECTRONASAR resource for the integrity fuse to check');
  }
  if (where.infoPlist) check(readFileSync(where.infoPlist, 'utf8').includes('ElectronAsarIntegrity'), 'Info.plist carries no ElectronAsarIntegrity hash for the integrity fuse to check');

  const size = (files, base) => files.reduce((sum, file) => sum + statSync(join(base, file)).size, 0);
  return {
    asarBytes: statSync(archive).size,
    unpackedBytes: size(unpacked, unpackedDir),
    ortBytes: size(unpacked.filter((p) => p.startsWith(`${ortDir}/`)), unpackedDir),
    entries: entries.length,
    dependencies: [...topLevel].filter((name) => !/^@[^/]+$/.test(name)).sort(),
  };
}

// ---- the run -----------------------------------------------------------------------------------
const totalStarted = Date.now();
if (!flag('--skip-build')) {
  run('electron-vite build', join(root, 'node_modules/electron-vite/bin/electron-vite.js'), ['build']);
  run('native build', join(root, 'scripts/build-native.mjs'), []);
}
run('icons', join(root, 'scripts/make-icon.mjs'), []);
for (const file of ['out/main/index.js', 'out/native/host.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
  if (!existsSync(join(root, file))) {
    console.error(`[package-check] ${file} is missing: run \`npx electron-vite build\` first, or drop --skip-build.`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'pareto-package-check-'));
process.on('exit', () => {
  if (flag('--keep')) log(`kept the builds in ${work}`);
  else rmSync(work, { recursive: true, force: true });
});
const stagedModels = join(work, 'models');
mkdirSync(join(stagedModels, 'recipes'), { recursive: true });
mkdirSync(join(stagedModels, 'probe-student'), { recursive: true });
writeFileSync(join(stagedModels, 'recipes', 'distill.py'), '# probe: recipes must stay out of the app\n');
writeFileSync(join(stagedModels, 'probe-student', 'pareto.json'), '{"kind":"text","probe":true}\n');
const realModelsBytes = walk(join(root, 'models'))
  .filter((file) => !relative(join(root, 'models'), file).startsWith('recipes'))
  .reduce((sum, file) => sum + statSync(file).size, 0);

const baseConfig = yaml.load(readFileSync(join(root, 'build/electron-builder.yml'), 'utf8'));
if (baseConfig.extraResources?.[0]?.from !== 'models' || baseConfig.extraResources?.[0]?.to !== 'models') {
  console.error('[package-check] build/electron-builder.yml: extraResources[0] is expected to copy models → models.');
  process.exit(1);
}

const deadEnd = 'http://127.0.0.1:9/offline-package-check/';
const failures = [];
for (const target of wanted) {
  const config = structuredClone(baseConfig);
  const electronDist = join(work, `electron-${target.name}`);
  const output = join(work, `release-${target.name}`);
  writeStandInElectron(electronDist, target.platform);
  config.extraResources[0].from = stagedModels;
  config.electronDist = electronDist;
  config.directories = { ...config.directories, output };
  config.publish = null;
  if (target.platform === 'win32') config.win = { ...config.win, signAndEditExecutable: false };
  if (target.platform === 'darwin') config.mac = { ...config.mac, identity: null, notarize: false };
  const configFile = join(work, `electron-builder-${target.name}.json`);
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  const packageMs = run(`electron-builder ${target.flag} dir --${target.arch}`, join(root, 'node_modules/electron-builder/cli.js'), [target.flag, 'dir', `--${target.arch}`, '--config', configFile, '--publish', 'never'], {
    CSC_IDENTITY_AUTO_DISCOVERY: 'false',
    ELECTRON_MIRROR: deadEnd,
    ELECTRON_BUILDER_BINARIES_MIRROR: deadEnd,
    ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
  });
  const mine = [];
  const found = await inspect(target, output, config, (ok, message) => ok || mine.push(message));
  if (found) {
    // The payload is what the app adds to Electron: app.asar, its unpacked native code, and the real models/.
    const payload = found.asarBytes + found.unpackedBytes + realModelsBytes;
    log(`${target.name}: payload ${MB(payload)} = app.asar ${MB(found.asarBytes)} (${found.entries} entries) + app.asar.unpacked ${MB(found.unpackedBytes)} (onnxruntime ${MB(found.ortBytes)}) + models ${MB(realModelsBytes)}; packaged in ${seconds(packageMs)}`);
    if (target.name === 'linux-x64' && payload > LINUX_X64_BUDGET_BYTES) mine.push(`the linux-x64 payload is ${MB(payload)}, over the ${MB(LINUX_X64_BUDGET_BYTES)} budget`);
    if (target === wanted[0]) log(`packaged dependencies: ${found.dependencies.join(', ')}`);
  }
  failures.push(...mine.map((message) => `${target.name}: ${message}`));
}

const total = seconds(Date.now() - totalStarted);
if (failures.length > 0) {
  for (const failure of failures) console.error(`[package-check] FAIL ${failure}`);
  console.error(`[package-check] ${failures.length} problem(s); ${total} in all.`);
  process.exit(1);
}
log(`OK: ${wanted.map((target) => target.name).join(', ')} packages are complete and clean (${total} in all).`);
