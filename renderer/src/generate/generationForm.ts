import { TextGenerationRequestSchema, type ExecutionProvider, type ResolvedTextGenerationRequest, type Settings, type TextGenerationRequest } from '../../../native/contract';
import { fieldLabel } from '../format';
import type { RequestTarget } from './modelChoice';

export type SamplingMode = 'greedy' | 'sample';
export type WindowMode = 'off' | 'auto' | 'fixed';

/** The settings panel's values as typed, so half-edited numbers are not forced into shape. */
export interface GenerationForm {
  maxNewTokens: string;
  mode: SamplingMode;
  temperature: string;
  topK: string;
  topP: string;
  /** Blank lets the engine pick a seed. */
  seed: string;
  ep: ExecutionProvider;

  // Expert overrides: blank (or off) leaves the knob to λ or to the model's default.
  /** A precision variant; with λ it narrows λ's choice to points of this precision. */
  precision: string;
  /** Active layers, from the model's depth exits. */
  depth: string;
  windowMode: WindowMode;
  /** W, the recent positions kept, when `windowMode` is 'fixed'. */
  window: string;
  /** G, the first positions always kept; blank uses the engine's default. */
  sinks: string;
  dynamicPrecision: boolean;
  cheapPrecision: string;
  fullPrecision: string;
  /** Nats; blank uses the engine's default. */
  entropyThreshold: string;
  /** Comma- or newline-separated. */
  stop: string;
  repetitionPenalty: string;
  minP: string;
}

export function formFromSettings(settings: Settings): GenerationForm {
  return {
    maxNewTokens: String(settings.maxNewTokens),
    mode: 'sample',
    temperature: String(settings.temperature),
    topK: String(settings.topK),
    topP: String(settings.topP),
    seed: '',
    ep: settings.ep,
    ...EXPERT_DEFAULTS,
  };
}

/** The Expert section untouched: every knob left to λ or the model. */
export const EXPERT_DEFAULTS = {
  precision: '',
  depth: '',
  windowMode: 'off',
  window: '',
  sinks: '',
  dynamicPrecision: false,
  cheapPrecision: '',
  fullPrecision: '',
  entropyThreshold: '',
  stop: '',
  repetitionPenalty: '',
  minP: '',
} as const satisfies Partial<GenerationForm>;

/** How many Expert overrides are in force, for the section's collapsed summary. */
export function countOverrides(form: GenerationForm): number {
  const set = [form.precision && !form.dynamicPrecision, form.depth, form.windowMode !== 'off', form.dynamicPrecision, parseStopStrings(form.stop).length > 0, form.repetitionPenalty.trim(), form.mode === 'sample' && form.minP.trim()];
  return set.filter(Boolean).length;
}

/** Selections the current model (or family) cannot run fall back to "λ decides" / off. */
export function fitFormToKnobs(form: GenerationForm, knobs: { variants: readonly string[]; depths: readonly number[] }): GenerationForm {
  const variant = (value: string) => (value === '' || knobs.variants.includes(value) ? value : '');
  const depth = form.depth === '' || knobs.depths.includes(Number(form.depth)) ? form.depth : '';
  const fitted = { ...form, precision: variant(form.precision), depth, cheapPrecision: variant(form.cheapPrecision), fullPrecision: variant(form.fullPrecision) };
  if (knobs.variants.length < 2) fitted.dynamicPrecision = false;
  const changed = (Object.keys(fitted) as (keyof GenerationForm)[]).some((key) => fitted[key] !== form[key]);
  return changed ? fitted : form;
}

/** Typing W fixes the window at that size; clearing W turns a fixed window off (Auto stays Auto). */
export function windowPatch(mode: WindowMode, text: string): Partial<GenerationForm> {
  if (text.trim() !== '') return { window: text, windowMode: 'fixed' };
  return { window: text, windowMode: mode === 'fixed' ? 'off' : mode };
}

/** Stop strings from the text field: split on commas and newlines, trimmed, blanks and repeats dropped. */
export function parseStopStrings(text: string): string[] {
  return [...new Set(text.split(/[,\n]/).map((part) => part.trim()).filter((part) => part !== ''))];
}

export type BuiltRequest = { ok: true; request: TextGenerationRequest } | { ok: false; message: string };

function parseNumber(field: string, text: string): number | string {
  const value = Number(text.trim());
  return text.trim() === '' || !Number.isFinite(value) ? `${fieldLabel(field)} must be a number.` : value;
}

/** The field a schema issue is about, by the deepest path segment the UI has a name for. */
function issueField(path: readonly PropertyKey[]): string {
  const named = path.filter((segment): segment is string => typeof segment === 'string');
  return [...named].reverse().find((segment) => fieldLabel(segment) !== 'Value') ?? named[0] ?? '';
}

/**
 * Turns the form into a request the host will accept, or one sentence saying what to fix.
 * The target says whether λ chooses (no model, or a family model) or a model runs as set.
 * Optional knobs are sent only when the user set them, so the host's defaults and λ stay in charge.
 */
export function buildTextRequest(target: RequestTarget | null, prompt: string, form: GenerationForm): BuiltRequest {
  if (!target) return { ok: false, message: 'Choose a model first, or add a model folder.' };
  const numbers: Record<string, number> = {};
  const fields: [string, string][] = [['maxNewTokens', form.maxNewTokens]];
  if (form.mode === 'sample') {
    fields.push(['temperature', form.temperature], ['topK', form.topK], ['topP', form.topP]);
    if (form.seed.trim() !== '') fields.push(['seed', form.seed]);
    if (form.minP.trim() !== '') fields.push(['minP', form.minP]);
  }
  if (form.depth !== '') fields.push(['depth', form.depth]);
  if (form.repetitionPenalty.trim() !== '') fields.push(['repetitionPenalty', form.repetitionPenalty]);
  if (form.windowMode === 'fixed') fields.push(['window', form.window]);
  if (form.windowMode !== 'off' && form.sinks.trim() !== '') fields.push(['sinks', form.sinks]);
  if (form.dynamicPrecision && form.entropyThreshold.trim() !== '') fields.push(['entropyThreshold', form.entropyThreshold]);
  for (const [field, text] of fields) {
    const parsed = parseNumber(field, text);
    if (typeof parsed === 'string') return { ok: false, message: parsed };
    numbers[field] = parsed;
  }
  const { entropyThreshold, ...knobs } = numbers;

  const request: TextGenerationRequest = { ...target, prompt, ep: form.ep, doSample: form.mode === 'sample', ...knobs };
  if (form.windowMode === 'auto') request.window = 'auto';
  if (form.dynamicPrecision) {
    if (!form.cheapPrecision || !form.fullPrecision || form.cheapPrecision === form.fullPrecision) {
      return { ok: false, message: 'Dynamic precision needs two different variants: a cheap one and a full one.' };
    }
    request.dynamicPrecision = { cheap: form.cheapPrecision, full: form.fullPrecision, ...(entropyThreshold === undefined ? {} : { entropyThreshold }) };
  } else if (form.precision) {
    request.precision = form.precision;
  }
  const stop = parseStopStrings(form.stop);
  if (stop.length > 0) request.stop = stop;

  const checked = TextGenerationRequestSchema.safeParse(request);
  if (checked.success) return { ok: true, request };
  const issue = checked.error.issues[0];
  return { ok: false, message: `${fieldLabel(issueField(issue?.path ?? []))}: ${issue?.message ?? 'invalid value'}.` };
}

/**
 * The form that asks for a story again (a history entry's request): every knob it set, and
 * the rest as `base` has them for what the request left to λ or the model.
 */
export function formFromRequest(request: ResolvedTextGenerationRequest, base: GenerationForm): GenerationForm {
  const text = (value: number | undefined, fallback: string) => (value === undefined ? fallback : String(value));
  const sampled = request.doSample ?? [request.temperature, request.topK, request.topP, request.seed, request.minP].some((knob) => knob !== undefined);
  const dynamic = request.dynamicPrecision;
  return {
    ...base,
    ...EXPERT_DEFAULTS,
    maxNewTokens: String(request.maxNewTokens),
    mode: sampled ? 'sample' : 'greedy',
    temperature: text(request.temperature, base.temperature),
    topK: text(request.topK, base.topK),
    topP: text(request.topP, base.topP),
    seed: text(request.seed, ''),
    ep: request.ep,
    precision: dynamic ? '' : (request.precision ?? ''),
    depth: text(request.depth, ''),
    windowMode: request.window === undefined ? 'off' : request.window === 'auto' ? 'auto' : 'fixed',
    window: typeof request.window === 'number' ? String(request.window) : '',
    sinks: request.window === undefined ? '' : String(request.sinks),
    dynamicPrecision: dynamic !== undefined,
    cheapPrecision: dynamic?.cheap ?? '',
    fullPrecision: dynamic?.full ?? '',
    entropyThreshold: text(dynamic?.entropyThreshold, ''),
    stop: (request.stop ?? []).join(', '),
    repetitionPenalty: text(request.repetitionPenalty, ''),
    minP: text(request.minP, ''),
  };
}

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}
