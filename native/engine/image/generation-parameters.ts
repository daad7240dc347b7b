import { IMAGE_SCHEDULER_LABELS, ImageParametersSchema, type ImageGenerationRequest, type ImageParameters, type ImageParametersReading } from '../../contract';
import { readPngText } from '../png/png';

/**
 * Generation parameters inside a PNG. Two text chunks:
 *  - `parameters`, the AUTOMATIC1111 convention other tools read (ComfyUI, InvokeAI, civitai):
 *    the prompt, a "Negative prompt: …" line, then "Steps: N, Sampler: …, CFG scale: …, Seed: …, Size: WxH, Model: …";
 *  - `pareto`, the exact request as JSON, so the studio restores every knob.
 */
export const PARAMETERS_KEY = 'parameters';
export const PARETO_KEY = 'pareto';

/** The A1111 `parameters` text for a generation. */
export function formatA1111(parameters: ImageParameters, modelName: string): string {
  const lines = [parameters.prompt];
  if (parameters.negativePrompt) lines.push(`Negative prompt: ${parameters.negativePrompt}`);
  const fields: [string, string | number][] = [
    ['Steps', parameters.steps],
    ['Sampler', IMAGE_SCHEDULER_LABELS[parameters.scheduler]],
    ['CFG scale', parameters.guidance],
    ['Seed', parameters.seed],
    ['Size', `${parameters.width}x${parameters.height}`],
    ['Model', modelName],
    ['Precision', parameters.dynamicPrecision ? `${parameters.dynamicPrecision.cheap}+${parameters.dynamicPrecision.full}` : parameters.precision],
  ];
  lines.push(fields.map(([key, value]) => `${key}: ${value}`).join(', '));
  return lines.join('\n');
}

/** JSON with every non-ASCII character escaped, so it fits a Latin-1 tEXt chunk and reads back exactly. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function pngTextFor(parameters: ImageParameters, modelName: string): Record<string, string> {
  return { [PARAMETERS_KEY]: formatA1111(parameters, modelName), [PARETO_KEY]: asciiJson(parameters) };
}

const SAMPLERS_BY_LABEL = Object.fromEntries(Object.entries(IMAGE_SCHEDULER_LABELS).map(([name, label]) => [label.toLowerCase(), name]));

/** Reads an A1111 `parameters` text back into its fields (what other tools wrote); unknown keys are ignored. */
export function parseA1111(text: string): Partial<ImageParameters> & { prompt: string; model?: string } {
  const lines = text.split('\n');
  const last = lines.at(-1) ?? '';
  const hasFields = /(^|, )Steps: \d+/.test(last);
  const body = hasFields ? lines.slice(0, -1) : lines;
  const negativeAt = body.findIndex((line) => line.startsWith('Negative prompt: '));
  const prompt = (negativeAt >= 0 ? body.slice(0, negativeAt) : body).join('\n');
  const result: Partial<ImageParameters> & { prompt: string; model?: string } = { prompt };
  if (negativeAt >= 0) result.negativePrompt = body.slice(negativeAt).join('\n').slice('Negative prompt: '.length);
  if (!hasFields) return result;
  for (const match of last.matchAll(/([A-Za-z][\w ]*): ("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    const [, key, value] = match as unknown as [string, string, string];
    if (key === 'Steps') result.steps = Number(value);
    if (key === 'CFG scale') result.guidance = Number(value);
    if (key === 'Seed') result.seed = Number(value);
    if (key === 'Model') result.model = value;
    if (key === 'Sampler' && SAMPLERS_BY_LABEL[value.toLowerCase()]) result.scheduler = SAMPLERS_BY_LABEL[value.toLowerCase()] as ImageParameters['scheduler'];
    if (key === 'Size') {
      const [width, height] = value.split('x').map(Number);
      if (width && height) Object.assign(result, { width, height });
    }
  }
  return result;
}

/** The request a PNG was made with: the studio's own JSON when present, else what the A1111 text says. */
export function readGenerationParameters(bytes: Uint8Array): { parameters: ImageParameters | null; a1111: ReturnType<typeof parseA1111> | null } {
  const text = readPngText(bytes);
  let parameters: ImageParameters | null = null;
  if (text[PARETO_KEY] !== undefined) {
    const parsed = ImageParametersSchema.safeParse(parseJsonOrNull(text[PARETO_KEY]));
    if (parsed.success) parameters = parsed.data;
  }
  return { parameters, a1111: text[PARAMETERS_KEY] !== undefined ? parseA1111(text[PARAMETERS_KEY]) : null };
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** What a PNG says it was made with, to restore a form: every knob from our chunk, else what A1111's text names. */
export function readParametersReading(bytes: Uint8Array): ImageParametersReading {
  let found: ReturnType<typeof readGenerationParameters>;
  try {
    found = readGenerationParameters(bytes);
  } catch (error) {
    throw new Error(`This file cannot be read as a PNG: ${(error as Error).message}.`);
  }
  if (found.parameters) return { source: 'pareto', parameters: found.parameters };
  if (found.a1111) return { source: 'a1111', parameters: found.a1111 };
  throw new Error('This PNG carries no generation parameters: it has no "parameters" (A1111) or "pareto" text chunk.');
}

/** The request that makes the same image again (same model, seed and knobs → the same PNG bytes). */
export function requestFromParameters(parameters: ImageParameters): ImageGenerationRequest {
  const { dynamicPrecision, precision, ...rest } = parameters;
  return dynamicPrecision ? { ...rest, dynamicPrecision } : { ...rest, precision };
}

/** Restores the request a PNG was made with; fails with a clear sentence when the PNG carries none. */
export function restoreRequest(bytes: Uint8Array): ImageGenerationRequest {
  const { parameters } = readGenerationParameters(bytes);
  if (!parameters) throw new Error('This PNG carries no Pareto Studio parameters (no valid "pareto" text chunk).');
  return requestFromParameters(parameters);
}
