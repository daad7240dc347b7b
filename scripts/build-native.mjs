// Builds what runs in Node outside Electron's main process: the `pareto` CLI (with the web server),
// and the engine host's process entry, which the desktop shell and the web mode both launch.
// Output: out/native/{cli,host}.js and their chunks, all in one folder; each CLI subcommand is a chunk loaded on demand.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const NATIVE_OUT_DIR = path.join(root, 'out', 'native');

/** Every bare import stays external except those `bundled` names. */
function externalPackagesExcept(bundled) {
  return {
    name: 'external-packages',
    setup(builder) {
      builder.onResolve({ filter: /^[^./]/ }, (args) => (bundled.test(args.path) ? undefined : { path: args.path, external: true }));
    },
  };
}

export async function buildNative({ logLevel = 'warning' } = {}) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { cli: 'native/cli/main.ts', host: 'native/host/host-entry.ts' },
    outdir: NATIVE_OUT_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    // onnxruntime-node, zod, tokenizers …: loaded from node_modules as they are, never bundled. ECharts (the
    // report's figures) is the exception: the renderer bundles it too, so the package ships no second copy.
    plugins: [externalPackagesExcept(/^(echarts|zrender|tslib)(\/|$)/)],
    // Chunks sit beside the entries: native/host/paths.ts finds the project root two folders up, as from its source.
    chunkNames: '[name]-[hash]',
    metafile: true,
    logLevel,
  });
  // Chunks are named by their hash, so every changed build leaves the previous ones behind; the package takes the whole folder.
  const written = new Set(Object.keys(result.metafile.outputs).map((file) => path.resolve(root, file)));
  for (const name of fs.readdirSync(NATIVE_OUT_DIR)) {
    const file = path.join(NATIVE_OUT_DIR, name);
    if (!written.has(file)) fs.rmSync(file, { force: true });
  }
}

/** vitest's and Playwright's global setup: the specs run `bin/pareto.js`, so they build what it runs first. */
export default function setup() {
  return buildNative();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await buildNative({ logLevel: 'info' });
