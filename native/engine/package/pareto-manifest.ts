import path from 'node:path';
import { z } from 'zod';
import { ApiError } from '../../contract';
import { readModelJson } from './model-json';

const QualitySchema = z.looseObject({
  bitsPerByte: z.number().positive().optional(),
  repetition: z.number().min(0).max(1).optional(),
  frechetDistance: z.number().nonnegative().optional(),
  faithfulness: z.number().min(0).max(1).optional(),
});

export const OperatingPointSchema = z.object({
  precision: z.string().min(1),
  depth: z.number().int().positive().optional(),
  steps: z.number().int().positive().optional(),
  file: z.string().min(1),
  quality: QualitySchema.default({}),
});
export type ManifestOperatingPoint = z.infer<typeof OperatingPointSchema>;

/** `pareto.json`: what our own packages declare about themselves (SPEC §2). */
export const ParetoManifestSchema = z.object({
  schemaVersion: z.literal(1),
  kind: z.enum(['text', 'image']),
  family: z.string().min(1),
  name: z.string().min(1),
  role: z.enum(['teacher', 'student']).optional(),
  parameters: z.number().int().positive().optional(),
  provenance: z
    .looseObject({
      teacher: z.string().nullable().optional(),
      data: z.array(z.string()).optional(),
      licence: z.string().optional(),
      /** The command that made the package, e.g. `models/recipes/image/image_pipeline.py --config cpu`. */
      recipe: z.string().optional(),
    })
    .optional(),
  attention: z.object({ trainedWindow: z.number().int().positive().optional(), sinks: z.number().int().min(0).optional() }).optional(),
  operatingPoints: z.array(OperatingPointSchema).min(1),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest')).default({}),
});
export type ParetoManifest = z.infer<typeof ParetoManifestSchema>;

/** Resolves a path named inside a package, refusing anything that escapes the package folder. */
export function packageFile(dir: string, relative: string): string {
  const root = path.resolve(dir);
  const full = path.resolve(root, relative);
  if (path.isAbsolute(relative) || !full.startsWith(root + path.sep)) {
    throw new ApiError('invalid_model', `pareto.json in ${dir} names "${relative}", which is outside the package.`);
  }
  return full;
}

/** Reads `pareto.json` when the folder has one; a folder without it is a third-party model. */
export function readParetoManifest(dir: string): ParetoManifest | null {
  const json = readModelJson(dir, 'pareto.json', false);
  if (json === undefined) return null;
  const parsed = ParetoManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ApiError('invalid_model', `pareto.json in ${dir}: ${issue.path.join('.') || 'value'} ${issue.message.toLowerCase()}.`);
  }
  for (const point of parsed.data.operatingPoints) packageFile(dir, point.file);
  return parsed.data;
}
