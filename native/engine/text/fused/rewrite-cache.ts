// Rewrites (fused, or cut to the positions a step adds) that passed their probe, kept on disk so that the next load of the same file opens the
// rewrite directly: no export session, no rewrite, no probe. An entry is keyed by the source file's identity
// (path, size and modification time), the model's config, the studio's version and onnxruntime's, and holds the
// identity of every external data file the source names, so any change to one of them means rewriting and
// probing again.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic, writeFileAtomicAsync } from '../../../shared/atomic-file';
import { externalDataFiles } from '../../onnx/graph-summary';
import { onnxRuntimeVersion } from '../../onnx/runtime';
import type { DecoderConfig } from '../model-folder';
import type { DecoderGraph } from './fused-decoder';

interface CacheSettings {
  dir: string;
  studioVersion: string;
  maxBytes: number;
}

let settings: CacheSettings | null = null;

/** Keeps verified rewrites in `dir` from now on (the host passes a folder of its data folder), up to `maxBytes` in all. */
export function keepFusedRewritesIn(dir: string, studioVersion: string, maxBytes = 4 * 1024 ** 3): void {
  settings = { dir, studioVersion, maxBytes };
}

function fileIdentity(file: string): string {
  const stat = fs.statSync(file);
  return `${fs.realpathSync(file)}:${stat.size}:${stat.mtimeMs}`;
}

/** The external data files `file` names, which its own identity does not cover. */
function dataFiles(file: string): DataFile[] {
  return externalDataFiles(file).map((data) => ({ path: data, identity: fileIdentity(data) }));
}

/** Bumped whenever the rewrite builds a different graph from the same source, so stored rewrites of older builds go unused. */
const REWRITE_REVISION = 3;

interface DataFile {
  path: string;
  identity: string;
}

interface EntryMeta {
  graph: DecoderGraph;
  data: DataFile[];
}

function entryPaths(cache: CacheSettings, file: string, config: DecoderConfig): { model: string; meta: string } {
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify({ source: fileIdentity(file), config, studio: cache.studioVersion, rewrite: REWRITE_REVISION, onnxruntime: onnxRuntimeVersion() }))
    .digest('hex')
    .slice(0, 32);
  return { model: path.join(cache.dir, `${key}.onnx`), meta: path.join(cache.dir, `${key}.json`) };
}

/**
 * The stored rewrite of `file`: the path of its graph, what it is, and whether it holds all its weights (its source
 * names no external data, so neither does it); null when there is none for this exact source.
 */
export function cachedRewrite(file: string, config: DecoderConfig): { model: string; graph: DecoderGraph; selfContained: boolean } | null {
  if (!settings) return null;
  const entry = entryPaths(settings, file, config);
  try {
    const { graph, data } = JSON.parse(fs.readFileSync(entry.meta, 'utf8')) as EntryMeta;
    if (graph.kind === 'export' || !fs.existsSync(entry.model)) return null;
    return data.every((stored) => fileIdentity(stored.path) === stored.identity) ? { model: entry.model, graph, selfContained: data.length === 0 } : null;
  } catch {
    return null;
  }
}

/** Removes the stored rewrite of `file`: one that no longer opens (a disk error, a file cut short by a crash). */
export function forgetRewrite(file: string, config: DecoderConfig): void {
  if (!settings) return;
  const entry = entryPaths(settings, file, config);
  for (const stored of [entry.meta, entry.model]) fs.rmSync(stored, { force: true });
}

/** Drops the least recently written entries until the cache fits its bound. */
function trim(cache: CacheSettings): void {
  const models = fs
    .readdirSync(cache.dir)
    .filter((name) => name.endsWith('.onnx'))
    .map((name) => ({ file: path.join(cache.dir, name), stat: fs.statSync(path.join(cache.dir, name)) }))
    .sort((a, b) => b.stat.mtimeMs - a.stat.mtimeMs);
  let total = 0;
  for (const { file, stat } of models) {
    total += stat.size;
    if (total <= cache.maxBytes) continue;
    fs.rmSync(file, { force: true });
    fs.rmSync(file.replace(/\.onnx$/, '.json'), { force: true });
  }
}

const beingStored = new Set<Promise<void>>();

/**
 * Keeps a rewrite that passed its probe, written in the background: the load that made it goes on to its first
 * token meanwhile (writing a few hundred MB takes seconds on a laptop's disk). A cache that cannot be written only
 * costs the next load its rewrite.
 */
export function storeRewrite(file: string, config: DecoderConfig, bytes: Uint8Array, graph: DecoderGraph): void {
  if (!settings) return;
  const cache = settings;
  let entry: { model: string; meta: string };
  let meta: string;
  try {
    entry = entryPaths(cache, file, config);
    meta = JSON.stringify({ graph, data: dataFiles(file) } satisfies EntryMeta);
  } catch {
    return; // the source or one of its data files went away since it was read
  }
  const storing = writeFileAtomicAsync(entry.model, bytes)
    .then(() => {
      writeFileAtomic(entry.meta, meta);
      trim(cache);
    })
    .catch(() => {
      // A full disk or a read-only data folder: the rewrite is still used in memory.
    })
    .finally(() => beingStored.delete(storing));
  beingStored.add(storing);
}

/** Resolves once every rewrite being written is on disk (or has failed to be): the host waits for this before it exits. */
export async function rewritesStored(): Promise<void> {
  await Promise.all(beingStored);
}
