import fs from 'node:fs';
import path from 'node:path';
import { ApiError, HistoryEntrySchema, HistoryQuerySchema, type HistoryEntry, type HistoryItem, type HistoryPage, type HistoryQuery } from '../contract';
import { writeFileAtomic } from '../shared/atomic-file';
import { thumbnailOf } from './history-thumbnail';

const FORMAT_VERSION = 1;
const ORPHAN_AGE_MS = 60 * 60 * 1000;

interface Snapshot {
  /** Oldest first, as recorded. */
  entries: HistoryEntry[];
  /** The index file's mtime, size and inode when read, to notice another process's writes (the CLI beside a server). */
  stamp: string;
}

/**
 * Every finished output, kept in the data folder: `history/history.json` (the index, rewritten
 * atomically on each change), `history/history.prev.json` (the copy before the last change) and
 * `history/images/ID.png`. A crash mid-write leaves the index or its previous copy whole; a damaged
 * index is set aside and recovered from the previous copy, and the store says so.
 */
export class HistoryStore {
  readonly file: string;
  private readonly previousFile: string;
  private readonly imagesDir: string;
  private snapshot: Snapshot | null = null;
  private recoveryNotice: string | null = null;

  constructor(
    dataDir: string,
    /** How many entries to keep; read on every record, so a settings change applies to the next output. */
    private readonly limit: () => number,
  ) {
    const dir = path.join(dataDir, 'history');
    this.file = path.join(dir, 'history.json');
    this.previousFile = path.join(dir, 'history.prev.json');
    this.imagesDir = path.join(dir, 'images');
  }

  /** Adds a finished output (with its PNG for an image), dropping the oldest past the limit. */
  record(entry: HistoryEntry, png?: Uint8Array): void {
    if (entry.kind === 'image') {
      if (!png) throw new Error(`History entry ${entry.id} is an image but came without its PNG.`);
      writeFileAtomic(this.imagePath(entry.id), png);
    }
    try {
      this.keepWithinLimit([...this.load().entries, entry]);
    } catch (error) {
      this.removeImage(entry); // What the index does not name is not in the history: the disk matches it.
      throw error;
    }
  }

  /** Drops the oldest entries past the limit, files included (after the setting is lowered, say). */
  trim(): void {
    const { entries } = this.load();
    if (entries.length > this.limit()) this.keepWithinLimit(entries);
  }

  private keepWithinLimit(entries: HistoryEntry[]): void {
    const kept = [...entries];
    const dropped = kept.splice(0, Math.max(0, kept.length - this.limit()));
    this.save(kept);
    dropped.forEach((old) => this.removeImage(old));
  }

  list(query: HistoryQuery): HistoryPage {
    const { search, kind, model, offset, limit } = HistoryQuerySchema.parse(query);
    const { entries } = this.load();
    const words = (search ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const matching = entries
      .filter((entry) => (!kind || entry.kind === kind) && (!model || entry.model === model) && matchesWords(entry, words))
      .reverse();
    return {
      entries: matching.slice(offset, offset + limit).map((entry) => ({ ...entry, path: this.pathOf(entry), png: null, thumbnail: this.thumbnail(entry) })),
      total: matching.length,
      models: [...new Set(entries.map((entry) => entry.model))].sort(),
      file: this.file,
      notice: this.recoveryNotice,
    };
  }

  /** One entry in full: an image's PNG as stored, text chunks and all. */
  get(id: string): HistoryItem {
    const entry = this.find(id);
    const file = this.pathOf(entry);
    const png = entry.kind === 'image' && fs.existsSync(file) ? fs.readFileSync(file).toString('base64') : null;
    return { ...entry, path: file, png, thumbnail: null };
  }

  delete(id: string): void {
    const entry = this.find(id);
    this.save(this.load().entries.filter((candidate) => candidate.id !== id));
    this.removeImage(entry);
  }

  private find(id: string): HistoryEntry {
    const entry = this.load().entries.find((candidate) => candidate.id === id);
    if (!entry) throw new ApiError('not_found', `No history entry "${id}": it may have been deleted or dropped as the oldest past the history limit.`);
    return entry;
  }

  /** Where an entry lives: an image's PNG, a story's history file. */
  private pathOf(entry: HistoryEntry): string {
    return entry.kind === 'image' ? this.imagePath(entry.id) : this.file;
  }

  /** An image's gallery thumbnail, made on first use and kept beside it; null for a story or a missing or unreadable file. */
  private thumbnail(entry: HistoryEntry): string | null {
    if (entry.kind !== 'image') return null;
    const file = this.thumbnailPath(entry.id);
    if (fs.existsSync(file)) return fs.readFileSync(file).toString('base64');
    try {
      const thumbnail = thumbnailOf(fs.readFileSync(this.imagePath(entry.id)));
      writeFileAtomic(file, thumbnail);
      return Buffer.from(thumbnail).toString('base64');
    } catch {
      return null;
    }
  }

  private imagePath(id: string): string {
    return path.join(this.imagesDir, `${id}.png`);
  }

  private thumbnailPath(id: string): string {
    return path.join(this.imagesDir, `${id}.thumb.png`);
  }

  private removeImage(entry: HistoryEntry): void {
    if (entry.kind !== 'image') return;
    fs.rmSync(this.imagePath(entry.id), { force: true });
    fs.rmSync(this.thumbnailPath(entry.id), { force: true });
  }

  private save(entries: HistoryEntry[]): void {
    // The index as it stands becomes the previous copy; the new one replaces it in one rename.
    if (fs.existsSync(this.file)) writeFileAtomic(this.previousFile, fs.readFileSync(this.file));
    writeFileAtomic(this.file, JSON.stringify({ version: FORMAT_VERSION, entries }) + '\n');
    this.snapshot = { entries, stamp: stampOf(this.file) };
  }

  private load(): Snapshot {
    const stamp = stampOf(this.file);
    if (this.snapshot && this.snapshot.stamp === stamp) return this.snapshot;
    this.snapshot = { entries: this.readIndex(), stamp: stampOf(this.file) };
    return this.snapshot;
  }

  private readIndex(): HistoryEntry[] {
    if (!fs.existsSync(this.file)) return [];
    const entries = parseIndex(fs.readFileSync(this.file, 'utf8')) ?? this.recover();
    if (!this.snapshot) this.removeOrphanImages(entries);
    return entries;
  }

  /** PNGs no entry names: left by a crash between writing an image and its index entry (old ones only, so another process's image in flight is spared). */
  private removeOrphanImages(entries: readonly HistoryEntry[]): void {
    if (!fs.existsSync(this.imagesDir)) return;
    const known = new Set(entries.flatMap((entry) => [`${entry.id}.png`, `${entry.id}.thumb.png`]));
    const cutoff = Date.now() - ORPHAN_AGE_MS;
    for (const name of fs.readdirSync(this.imagesDir)) {
      const file = path.join(this.imagesDir, name);
      if (!known.has(name) && fs.statSync(file).mtimeMs < cutoff) fs.rmSync(file, { force: true });
    }
  }

  /** Sets the damaged index aside, restores the previous copy (when it reads) and rewrites the index from it. */
  private recover(): HistoryEntry[] {
    const damaged = path.join(path.dirname(this.file), `history.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.renameSync(this.file, damaged);
    const previous = fs.existsSync(this.previousFile) ? parseIndex(fs.readFileSync(this.previousFile, 'utf8')) : null;
    const entries = previous ?? [];
    this.recoveryNotice = previous
      ? `The history file was damaged; ${entries.length} ${entries.length === 1 ? 'output was' : 'outputs were'} recovered from the last good copy. The damaged file was kept as ${damaged}.`
      : `The history file was damaged and no good copy was left, so history starts empty. The damaged file was kept as ${damaged}.`;
    console.warn(`[host/history] ${this.recoveryNotice}`);
    writeFileAtomic(this.file, JSON.stringify({ version: FORMAT_VERSION, entries }) + '\n');
    return entries;
  }
}

function stampOf(file: string): string {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat ? `${stat.mtimeMs}:${stat.size}:${stat.ino}` : 'missing';
}

/** The entries of an index file, or null when it is not one (torn, edited, or another format). Entries that no longer validate are skipped. */
function parseIndex(text: string): HistoryEntry[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { entries?: unknown }).entries)) return null;
  return (parsed as { entries: unknown[] }).entries.flatMap((raw) => {
    const entry = HistoryEntrySchema.safeParse(raw);
    return entry.success ? [entry.data] : [];
  });
}

function matchesWords(entry: HistoryEntry, words: readonly string[]): boolean {
  if (words.length === 0) return true;
  const haystack = `${entry.prompt}\n${entry.kind === 'text' ? entry.text : entry.parameters.negativePrompt}`.toLowerCase();
  return words.every((word) => haystack.includes(word));
}
