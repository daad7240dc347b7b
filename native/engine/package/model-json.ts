import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ApiError } from '../../contract';

/** A JSON file of a model folder; a missing optional file is undefined, anything unreadable an error naming it. */
export function readModelJson(dir: string, file: string, required: boolean): unknown {
  const full = path.join(dir, file);
  if (!fs.existsSync(full)) {
    if (required) throw new ApiError('invalid_model', `${file} is missing from ${dir}.`);
    return undefined;
  }
  try {
    return JSON.parse(fs.readFileSync(full, 'utf8'));
  } catch (error) {
    throw new ApiError('invalid_model', `${file} in ${dir} is not valid JSON (${(error as Error).message}).`);
  }
}

/** Checks a model file's JSON against its schema; the first problem becomes a sentence naming the file and field. */
export function parseModelJson<T>(schema: z.ZodType<T>, value: unknown, file: string, dir: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ApiError('invalid_model', `${file} in ${dir}: ${issue.path.join('.') || 'value'} ${issue.message.toLowerCase()}.`);
}
