import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ApiError } from '../../contract';

const MB = 1024 * 1024;

/** The largest JSON file of each name a model folder may hold; a tokenizer's vocabulary is the one big one. */
const JSON_CAPS: Record<string, number> = { 'tokenizer.json': 64 * MB };
const DEFAULT_JSON_CAP = 4 * MB;

export function jsonCapBytes(file: string): number {
  return JSON_CAPS[path.basename(file)] ?? DEFAULT_JSON_CAP;
}

/**
 * The real path of a file a model folder names, checked before anything reads it: it exists (a dangling
 * link is refused by name), it stays inside the folder once links are resolved (a link from inside to
 * inside is fine), and it is a regular file, so a FIFO or a device can never make a read wait or run forever.
 */
export function modelFileInside(dir: string, relative: string): string {
  const full = path.resolve(dir, relative);
  let real: string;
  try {
    real = fs.realpathSync(full);
  } catch {
    const linked = fs.lstatSync(full, { throwIfNoEntry: false })?.isSymbolicLink();
    throw new ApiError('invalid_model', linked ? `${relative} in ${dir} is a link to a file that does not exist.` : `${relative} is missing from ${dir}.`);
  }
  if (!real.startsWith(fs.realpathSync(dir) + path.sep)) throw new ApiError('invalid_model', `${relative} points outside its model folder ${dir}.`);
  if (!fs.statSync(real).isFile()) throw new ApiError('invalid_model', `${relative} in ${dir} is not a regular file.`);
  return real;
}

/**
 * Reads a model-folder file whole, at most `capBytes`. It is opened without blocking and checked as a
 * regular file on the open handle, so a file swapped for a FIFO after the path check still cannot hang.
 */
export function readModelFile(dir: string, relative: string, capBytes: number): Buffer {
  const real = modelFileInside(dir, relative);
  const handle = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const stat = fs.fstatSync(handle);
    if (!stat.isFile()) throw new ApiError('invalid_model', `${relative} in ${dir} is not a regular file.`);
    if (stat.size > capBytes) {
      throw new ApiError('invalid_model', `${relative} in ${dir} is ${(stat.size / MB).toFixed(1)} MB, over the ${capBytes / MB} MB a file of its kind may have.`);
    }
    const buffer = Buffer.alloc(stat.size);
    const read = fs.readSync(handle, buffer, 0, stat.size, 0);
    return buffer.subarray(0, read);
  } finally {
    fs.closeSync(handle);
  }
}

/** A JSON file of a model folder; a missing optional file is undefined, anything unreadable an error naming it (never quoting it). */
export function readModelJson(dir: string, file: string, required: boolean): unknown {
  if (!required && !fs.lstatSync(path.join(dir, file), { throwIfNoEntry: false })) return undefined;
  const text = readModelFile(dir, file, jsonCapBytes(file)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('invalid_model', `${file} in ${dir} is not valid JSON.`);
  }
}

/** Checks a model file's JSON against its schema; the first problem becomes a sentence naming the file and field. */
export function parseModelJson<T>(schema: z.ZodType<T>, value: unknown, file: string, dir: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ApiError('invalid_model', `${file} in ${dir}: ${issue.path.join('.') || 'value'} ${issue.message.toLowerCase()}.`);
}
