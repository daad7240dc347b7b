import { defaultImageSteps, IMAGE_SCHEDULER_LABELS, ImageGenerationRequestSchema, type ExecutionProvider, type ImageGenerationRequest, type ImageModelDefaults, type ImageParameters, type ModelInfo, type Settings } from '../../../native/contract';
import type { ModelChoice } from '../generate/modelChoice';

export type ImageScheduler = ImageParameters['scheduler'];

/** The Images form as typed: numbers stay text until a request is built, blank leaves a knob to λ or the model. */
export interface ImageForm {
  prompt: string;
  negativePrompt: string;
  /** Blank: λ's choice under Auto, else the model's default (pareto.json's, else LCM 4 and others 25). */
  steps: string;
  /** Blank: the model's own (model_index.json's default_guidance_scale, else 7.5): a guidance-distilled student runs at 1. */
  guidance: string;
  /** Blank lets the engine draw a seed. */
  seed: string;
  /** Images per run (1-4): seed, seed + 1, … */
  batch: number;
  /** Blank: the model's own scheduler. */
  scheduler: '' | ImageScheduler;
  /** Blank: λ's choice under Auto, else fp32 where the model has it, else its first variant. */
  precision: string;
  /** "WxH", or blank for the model's default size. */
  size: string;
  ep: ExecutionProvider;
}

export function initialImageForm(ep: ExecutionProvider): ImageForm {
  return { prompt: '', negativePrompt: '', steps: '', guidance: '', seed: '', batch: 1, scheduler: '', precision: '', size: '', ep };
}

/** What an image request runs: λ over the bundled image family (Auto), or one model as set. */
export type ImageTarget = { lambda: number } | { model: ModelInfo };

/**
 * Under Auto, λ picks the model, its UNet precision and its steps; a model picked by hand runs as
 * set (its steps and precision are the expert's overrides), so λ is off for it.
 */
export function imageTarget(choice: ModelChoice, lambda: number): ImageTarget | null {
  if (choice.kind === 'none') return null;
  return choice.kind === 'auto' ? { lambda } : { model: choice.model };
}

/** The steps a run gets when the form leaves them blank, as the engine decides them. */
export function defaultSteps(defaults: ImageModelDefaults | null | undefined, scheduler: ImageForm['scheduler']): number {
  const effective = scheduler || defaults?.scheduler || 'ddim';
  return defaults?.steps ?? defaultImageSteps(effective);
}

export interface SizeOption {
  value: string;
  width: number;
  height: number;
  label: string;
}

/**
 * Sizes to offer for a model: its default, half and double, and 3:2 / 2:3 around it, each a multiple
 * of the model's size step. Graphs fixed to one size reject the others with a message naming it.
 */
export function sizeOptions(defaults: ImageModelDefaults | null | undefined): SizeOption[] {
  if (!defaults) return [];
  const step = defaults.sizeStep;
  const round = (value: number) => Math.max(step, Math.round(value / step) * step);
  const { width, height } = defaults;
  const candidates: [number, number, string][] = [
    [round(width / 2), round(height / 2), 'half'],
    [round(width * 1.5), round(height), 'landscape'],
    [round(width), round(height * 1.5), 'portrait'],
    [round(width * 2), round(height * 2), 'double'],
  ];
  const seen = new Set([`${width}x${height}`]);
  const options: SizeOption[] = [];
  for (const [w, h, label] of candidates) {
    const value = `${w}x${h}`;
    if (seen.has(value) || w * h > 4096 * 4096) continue;
    seen.add(value);
    options.push({ value, width: w, height: h, label: `${w} × ${h} · ${label}` });
  }
  return options;
}

/**
 * The form as the choice can run it: under Auto, steps, precision and size are λ's and the family's (the
 * values typed for a model come back when it is picked again); a precision the chosen model lacks falls
 * back to its default.
 */
export function fitImageForm(form: ImageForm, choice: ModelChoice): ImageForm {
  if (choice.kind === 'auto') return form.steps || form.precision || form.size ? { ...form, steps: '', precision: '', size: '' } : form;
  if (!form.precision || choice.kind !== 'model' || choice.model.variants.includes(form.precision)) return form;
  return { ...form, precision: '' };
}

export type BuiltImageRequest = { ok: true; request: ImageGenerationRequest } | { ok: false; message: string };

const FIELD_NAMES: Record<string, string> = {
  model: 'Model',
  lambda: 'λ',
  prompt: 'Prompt',
  negativePrompt: 'Negative prompt',
  steps: 'Steps',
  guidance: 'Guidance',
  seed: 'Seed',
  batch: 'Images',
  scheduler: 'Scheduler',
  precision: 'Precision',
  width: 'Width',
  height: 'Height',
  ep: 'Execution provider',
};

function parseField(name: string, text: string, integer: boolean): number | string {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (trimmed === '' || !Number.isFinite(value)) return `${FIELD_NAMES[name]} must be a number.`;
  if (integer && !Number.isInteger(value)) return `${FIELD_NAMES[name]} must be a whole number.`;
  return value;
}

/**
 * Turns the form into a request the host accepts, or one sentence saying what to fix. Blank knobs are left
 * out. Under λ the request names no model, steps, precision or size: the host picks them.
 */
export function buildImageRequest(target: ImageTarget | null, form: ImageForm): BuiltImageRequest {
  if (!target) return { ok: false, message: 'Choose an image model first, or add a diffusers ONNX folder.' };
  const model = 'model' in target ? target.model : null;
  const request: ImageGenerationRequest = { ...('model' in target ? { model: target.model.id } : { lambda: target.lambda }), prompt: form.prompt, ep: form.ep };
  if (form.negativePrompt.trim() !== '') request.negativePrompt = form.negativePrompt;
  const numbers: [keyof typeof FIELD_NAMES, string, boolean][] = [];
  if (form.guidance.trim() !== '') numbers.push(['guidance', form.guidance, false]);
  if (model && form.steps.trim() !== '') numbers.push(['steps', form.steps, true]);
  if (form.seed.trim() !== '') numbers.push(['seed', form.seed, true]);
  for (const [name, text, integer] of numbers) {
    const parsed = parseField(name, text, integer);
    if (typeof parsed === 'string') return { ok: false, message: parsed };
    (request as Record<string, unknown>)[name] = parsed;
  }
  if (form.batch > 1) request.batch = form.batch;
  if (form.scheduler) request.scheduler = form.scheduler;
  if (model && form.precision) request.precision = form.precision;
  if (model && form.size) {
    const match = /^(\d+)x(\d+)$/.exec(form.size);
    if (!match) return { ok: false, message: `Size must read WIDTHxHEIGHT, e.g. 512x512; got "${form.size}".` };
    const [width, height] = [Number(match[1]), Number(match[2])];
    const step = model.image?.sizeStep ?? 1;
    if (width % step !== 0 || height % step !== 0) return { ok: false, message: `${model.name} makes sizes in multiples of ${step} pixels; ${width} × ${height} is not.` };
    request.width = width;
    request.height = height;
  }
  const checked = ImageGenerationRequestSchema.safeParse(request);
  if (checked.success) return { ok: true, request };
  const issue = checked.error.issues[0];
  const field = issue?.path.find((segment): segment is string => typeof segment === 'string' && segment in FIELD_NAMES);
  return { ok: false, message: `${field ? FIELD_NAMES[field] : 'Request'}: ${issue?.message ?? 'invalid value'}.` };
}

/** What a PNG or a history entry says an image was made with: all of it from the studio, what A1111's text names from other tools. */
export type KnownParameters = Partial<ImageParameters> & { prompt: string };

/**
 * The form that makes an image again: its parameters, with the seed fixed, one image; a knob they do not name
 * goes back to blank (the model's default). The provider stays as chosen.
 */
export function formFromParameters(parameters: KnownParameters, current: ImageForm, defaults: ImageModelDefaults | null | undefined): ImageForm {
  const { width, height } = parameters;
  const isDefaultSize = width === undefined || height === undefined || (defaults && width === defaults.width && height === defaults.height);
  const text = (value: number | undefined) => (value === undefined ? '' : String(value));
  return {
    ...current,
    prompt: parameters.prompt,
    negativePrompt: parameters.negativePrompt ?? '',
    steps: text(parameters.steps),
    guidance: text(parameters.guidance),
    seed: text(parameters.seed),
    batch: 1,
    scheduler: parameters.scheduler ?? '',
    precision: parameters.dynamicPrecision ? parameters.dynamicPrecision.full : (parameters.precision ?? ''),
    size: isDefaultSize ? '' : `${width}x${height}`,
  };
}

/** The parameters as the result panel lists them. */
export function parameterRows(parameters: ImageParameters): { label: string; value: string; testId: string }[] {
  const precision = parameters.dynamicPrecision
    ? `${parameters.dynamicPrecision.cheap} for ${parameters.dynamicPrecision.cheapSteps} steps, then ${parameters.dynamicPrecision.full}`
    : parameters.precision;
  return [
    // The folder's name: a model picked by hand and one λ chose read the same.
    { label: 'Model', value: parameters.model.split(/[\\/]/).filter(Boolean).at(-1) ?? parameters.model, testId: 'param-model' },
    { label: 'Seed', value: String(parameters.seed), testId: 'param-seed' },
    { label: 'Steps', value: String(parameters.steps), testId: 'param-steps' },
    { label: 'Guidance', value: String(parameters.guidance), testId: 'param-guidance' },
    { label: 'Scheduler', value: IMAGE_SCHEDULER_LABELS[parameters.scheduler], testId: 'param-scheduler' },
    { label: 'Precision', value: precision, testId: 'param-precision' },
    { label: 'Size', value: `${parameters.width} × ${parameters.height}`, testId: 'param-size' },
  ];
}

/** Images this small are drawn with hard pixel edges when scaled up, not blurred. */
export function isPixelArt(width: number, height: number): boolean {
  return Math.max(width, height) <= 128;
}

/** The class that enlarges an image as Settings says: hard pixel edges (Crisp) for small images, else the browser's smoothing. */
export function enlargeClass(scaling: Settings['imageScaling'], width: number, height: number): string {
  return scaling === 'crisp' && isPixelArt(width, height) ? ' pixelated' : '';
}

/** A file name for a saved image: the prompt's first words and the seed. */
export function pngFileName(parameters: ImageParameters): string {
  const slug = parameters.prompt
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .split('-')
    .slice(0, 6)
    .join('-');
  return `${slug || 'image'}-${parameters.seed}.png`;
}

/** The PNG file's bytes from the result's base64, exactly as the engine wrote them (text chunks included). */
export function pngBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
