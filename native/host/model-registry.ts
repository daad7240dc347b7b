import fs from 'node:fs';
import path from 'node:path';
import { ApiError, type ModelInfo } from '../contract';
import type { ParetoManifest } from '../engine/package/pareto-manifest';
import { findUnetPoint, imagePrecisions, isImageModelFolder, loadImageModelFolder, type ImageModelFolder } from '../engine/image/model-folder';
import { defaultSchedulerName } from '../engine/image/schedulers';
import { checkTextModel } from '../engine/text/model-check';
import { folderPrecisions, loadTextModelFolder, type TextModelFolder } from '../engine/text/model-folder';
import { imageModelCard, textModelCard } from './model-card';
import { ModelFolderCache } from './model-folder-cache';
import type { SettingsStore } from './settings-store';

interface Candidate {
  dir: string;
  source: ModelInfo['source'];
}

function describe(folder: TextModelFolder, id: string, source: ModelInfo['source']): ModelInfo {
  return {
    id,
    name: folder.name,
    kind: 'text',
    path: folder.dir,
    source,
    architecture: folder.config.architecture,
    contextLength: folder.config.contextLength,
    family: folder.manifest?.family ?? null,
    role: folder.manifest?.role ?? null,
    variants: folderPrecisions(folder),
    depths: [...new Set(folder.points.map((point) => point.depth))].sort((a, b) => a - b),
    points: folder.points.map((point) => ({ precision: point.precision, depth: point.depth, steps: null, bitsPerByte: point.quality?.bitsPerByte ?? null, frechetDistance: null })),
    sizeBytes: folder.sizeBytes,
    card: textModelCard(folder),
  };
}

/** The size, scheduler and steps a request that leaves them out gets (the engine's own defaults, from the folder's configs). */
function imageDefaults(folder: ImageModelFolder): ModelInfo['image'] {
  // A UNet graph with fixed spatial dimensions is only known once opened; the trained size is its default too.
  const side = (folder.unetSampleSize ?? 64) * folder.vaeScaleFactor;
  return { width: side, height: side, sizeStep: folder.vaeScaleFactor, scheduler: defaultSchedulerName(folder.schedulerConfig), steps: findUnetPoint(folder).steps };
}

function describeImage(folder: ImageModelFolder, id: string, source: ModelInfo['source']): ModelInfo {
  return {
    id,
    name: folder.name,
    kind: 'image',
    path: folder.dir,
    source,
    architecture: folder.pipelineClass,
    contextLength: folder.maxLength ?? 77,
    family: folder.manifest?.family ?? null,
    role: folder.manifest?.role ?? null,
    variants: imagePrecisions(folder),
    depths: [],
    points: folder.unetPoints.map((point) => ({ precision: point.precision, depth: null, steps: point.steps, bitsPerByte: null, frechetDistance: point.quality?.frechetDistance ?? null })),
    sizeBytes: folder.sizeBytes,
    image: imageDefaults(folder),
    card: imageModelCard(folder),
  };
}

type Entry = { info: ModelInfo; folder: TextModelFolder; image?: undefined } | { info: ModelInfo; folder?: undefined; image: ImageModelFolder };
type LoadedFolder = { folder: TextModelFolder; image?: undefined } | { folder?: undefined; image: ImageModelFolder };

function loadFolder(dir: string): LoadedFolder {
  return isImageModelFolder(dir) ? { image: loadImageModelFolder(dir) } : { folder: loadTextModelFolder(dir) };
}

function looksLikePath(value: string): boolean {
  return value.includes('/') || value.includes('\\') || value.startsWith('.') || path.isAbsolute(value);
}

/** The models the studio knows: bundled ones, folders the user imported, and folders named at launch. */
export class ModelRegistry {
  private readonly loaded = new ModelFolderCache<LoadedFolder>();
  /** Packages taken out of their family because a file of theirs would not load, with the reason. */
  private readonly excluded = new Map<string, string>();

  constructor(
    private readonly settings: SettingsStore,
    private readonly bundledDir: string | null,
    private readonly launchPaths: readonly string[] = [],
  ) {}

  list(): ModelInfo[] {
    return this.entries().map((entry) => entry.info);
  }

  /** The folders of every known package in a family, less those taken out of it. */
  family(name: string): TextModelFolder[] {
    return this.textEntries()
      .filter((entry) => entry.folder.manifest?.family === name && !this.excluded.has(entry.folder.dir))
      .map((entry) => entry.folder);
  }

  /** The folders of every known image package in a family, less those taken out of it. */
  imageFamily(name: string): ImageModelFolder[] {
    return this.entries()
      .map((entry) => entry.image)
      .filter((image): image is ImageModelFolder => image?.manifest?.family === name && !this.excluded.has(image.dir));
  }

  /**
   * Takes a broken package out of its family, so λ plans over the rest; it stays listed with the reason,
   * and can still be run by hand (to see the error) until it is imported again.
   */
  exclude(dir: string, reason: string): void {
    this.excluded.set(dir, reason);
    console.warn(`[host/registry] ${dir} is left out of its family: ${reason}`);
  }

  get excludedCount(): number {
    return this.excluded.size;
  }

  /** The family to use when a generation names no model: that of the first bundled package of the kind with one. */
  defaultFamily(kind: ModelInfo['kind']): string | null {
    return this.entries().find((entry) => entry.info.kind === kind && entry.info.source === 'bundled' && entry.info.family)?.info.family ?? null;
  }

  /** Finds a model by id, or loads the folder when given a path. */
  resolve(idOrPath: string): { info: ModelInfo; folder: TextModelFolder } {
    const known = this.knownEntry(idOrPath);
    if (known?.folder) return { info: known.info, folder: known.folder };
    if (known || ((looksLikePath(idOrPath) || fs.existsSync(idOrPath)) && isImageModelFolder(idOrPath))) {
      throw new ApiError('bad_request', `${idOrPath} is an image model; use it to generate images, not text.`);
    }
    if (looksLikePath(idOrPath) || fs.existsSync(idOrPath)) {
      const folder = loadTextModelFolder(idOrPath);
      return { info: describe(folder, folder.dir, 'path'), folder };
    }
    const ids = this.list().map((model) => model.id);
    throw new ApiError('not_found', `No model "${idOrPath}". ${ids.length ? `Known models: ${ids.join(', ')}.` : 'No models are installed.'} Pass a folder path to use another.`);
  }

  /** A model of either kind with its pareto.json, for what works on any package (verifying checksums). */
  resolvePackage(idOrPath: string): { info: ModelInfo; manifest: ParetoManifest | null } {
    const known = this.knownEntry(idOrPath);
    const isImage = known ? known.image !== undefined : (looksLikePath(idOrPath) || fs.existsSync(idOrPath)) && isImageModelFolder(idOrPath);
    const { info, folder } = isImage ? this.resolveImage(idOrPath) : this.resolve(idOrPath);
    return { info, manifest: folder.manifest };
  }

  /** Finds an image model by id, or loads the folder when given a path. */
  resolveImage(idOrPath: string): { info: ModelInfo; folder: ImageModelFolder } {
    const known = this.knownEntry(idOrPath);
    if (known?.image) return { info: known.info, folder: known.image };
    if (known) throw new ApiError('bad_request', `${idOrPath} is a text model; image generation needs a diffusers pipeline folder.`);
    if (looksLikePath(idOrPath) || fs.existsSync(idOrPath)) {
      const folder = loadImageModelFolder(idOrPath);
      return { info: describeImage(folder, folder.dir, 'path'), folder };
    }
    const ids = this.list().filter((model) => model.kind === 'image').map((model) => model.id);
    throw new ApiError('not_found', `No image model "${idOrPath}". ${ids.length ? `Known image models: ${ids.join(', ')}.` : 'No image models are installed.'} Pass a folder path to use another.`);
  }

  /** Adds a folder once it has passed validation (a text model's graphs, data files and a 2-token run). */
  async import(folderPath: string): Promise<ModelInfo> {
    const loaded = loadFolder(folderPath);
    if (loaded.folder) await checkTextModel(loaded.folder);
    const dir = loaded.folder?.dir ?? loaded.image!.dir;
    this.excluded.delete(dir);
    const imported = this.settings.get().importedModels;
    if (!imported.includes(dir)) this.settings.update({ importedModels: [...imported, dir] });
    return this.list().find((model) => model.path === dir)!;
  }

  /**
   * Forgets an imported model (by id, or by path for a folder that no longer loads); its folder stays on
   * disk. Bundled models and folders named at launch are not the registry's to drop. Returns the folder.
   */
  remove(idOrPath: string): string {
    const model = this.list().find((info) => info.id === idOrPath || info.path === path.resolve(idOrPath));
    if (model && model.source !== 'imported') {
      throw new ApiError(
        'bad_request',
        model.source === 'bundled' ? `${model.id} is bundled with the studio and cannot be removed.` : `${model.id} was named at launch (--model); start the studio without it instead.`,
      );
    }
    const dir = model?.path ?? path.resolve(idOrPath);
    const imported = this.settings.get().importedModels;
    if (!imported.includes(dir)) throw new ApiError('not_found', `No imported model "${idOrPath}" to remove. Imported: ${imported.join(', ') || 'none'}.`);
    this.settings.update({ importedModels: imported.filter((entry) => entry !== dir) });
    return dir;
  }

  /**
   * The known model with this id or folder. A path the registry does not list is answered without loading every
   * known folder: a one-shot `pareto generate --model DIR` then reads only DIR.
   */
  private knownEntry(idOrPath: string): Entry | undefined {
    const dir = path.resolve(idOrPath);
    if (looksLikePath(idOrPath) && !this.candidates().some((candidate) => candidate.dir === dir)) return undefined;
    return this.entries().find((entry) => entry.info.id === idOrPath || entry.info.path === dir);
  }

  private candidates(): Candidate[] {
    const bundled = this.bundledDir && fs.existsSync(this.bundledDir)
      ? fs.readdirSync(this.bundledDir, { withFileTypes: true })
          .filter((entry) => entry.isDirectory() && ['config.json', 'model_index.json'].some((file) => fs.existsSync(path.join(this.bundledDir!, entry.name, file))))
          .map((entry) => ({ dir: path.join(this.bundledDir!, entry.name), source: 'bundled' as const }))
      : [];
    return [
      ...bundled,
      ...this.settings.get().importedModels.map((dir) => ({ dir, source: 'imported' as const })),
      ...this.launchPaths.map((dir) => ({ dir: path.resolve(dir), source: 'path' as const })),
    ];
  }

  private textEntries(): { info: ModelInfo; folder: TextModelFolder }[] {
    return this.entries().flatMap((entry) => (entry.folder ? [{ info: entry.info, folder: entry.folder }] : []));
  }

  private entries(): Entry[] {
    const seen = new Set<string>();
    const ids = new Set<string>();
    const entries: Entry[] = [];
    for (const candidate of this.candidates()) {
      if (seen.has(candidate.dir)) continue;
      seen.add(candidate.dir);
      let loaded: LoadedFolder;
      try {
        loaded = this.loaded.load(candidate.dir, loadFolder);
      } catch {
        continue; // A folder that broke since it was added is reported when it is asked for by path.
      }
      const name = loaded.folder?.name ?? loaded.image!.name;
      let id = name;
      for (let n = 2; ids.has(id); n++) id = `${name}-${n}`;
      ids.add(id);
      const entry: Entry = loaded.folder
        ? { info: describe(loaded.folder, id, candidate.source), folder: loaded.folder }
        : { info: describeImage(loaded.image!, id, candidate.source), image: loaded.image! };
      const excludedReason = this.excluded.get(candidate.dir);
      if (excludedReason !== undefined) entry.info.excludedReason = excludedReason;
      entries.push(entry);
    }
    return entries;
  }
}
