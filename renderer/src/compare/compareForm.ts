import { MAX_COMPARE_MODES, MIN_COMPARE_MODES, type CompareMode, type CompareRequest, type ModelInfo } from '../../../native/contract';

/** One mode as the form edits it: a λ value, or a model with its precision and depth and attention window (text) or steps (images). */
export type ModeDraft = { type: 'lambda'; lambda: number } | { type: 'point'; model: string; precision: string; knob: string; window: string };

type PointDraft = Extract<ModeDraft, { type: 'point' }>;

export interface CompareForm {
  kind: 'text' | 'image';
  prompt: string;
  seed: string;
  maxNewTokens: string;
  modes: ModeDraft[];
}

export const DEFAULT_MODES: ModeDraft[] = [
  { type: 'lambda', lambda: 0 },
  { type: 'lambda', lambda: 0.5 },
  { type: 'lambda', lambda: 1 },
];

export function initialCompareForm(): CompareForm {
  return { kind: 'text', prompt: '', seed: '1', maxNewTokens: '120', modes: DEFAULT_MODES };
}

export const canAddMode = (form: CompareForm) => form.modes.length < MAX_COMPARE_MODES;
export const canRemoveMode = (form: CompareForm) => form.modes.length > MIN_COMPARE_MODES;

/** A fresh hand-set mode on the first model of the kind, at its defaults. */
export function pointDraft(models: readonly ModelInfo[]): PointDraft {
  return { type: 'point', model: models[0]?.id ?? '', precision: '', knob: '', window: '' };
}

type Built = { ok: true; request: CompareRequest } | { ok: false; message: string };

function integerField(value: string, label: string, min: number, max: number): number | undefined | string {
  if (value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isInteger(number) && number >= min && number <= max ? number : `${label} must be a whole number from ${min} to ${max}.`;
}

function modeOf(draft: ModeDraft, kind: CompareForm['kind'], index: number): CompareMode | string {
  if (draft.type === 'lambda') return { lambda: draft.lambda };
  if (!draft.model) return `Mode ${index + 1}: pick a model.`;
  const knob = integerField(draft.knob, `Mode ${index + 1}: ${kind === 'text' ? 'depth' : 'steps'}`, 1, 1000);
  if (typeof knob === 'string') return knob;
  const precision = draft.precision || undefined;
  if (kind === 'image') return { model: draft.model, precision, steps: knob };
  const window = integerField(draft.window, `Mode ${index + 1}: window`, 1, 1_000_000);
  if (typeof window === 'string') return window;
  return { model: draft.model, precision, depth: knob, window };
}

/** The request the form describes, or the first thing wrong with it in words. */
export function buildCompareRequest(form: CompareForm): Built {
  const seed = integerField(form.seed, 'Seed', 0, 0xffff_ffff);
  if (typeof seed === 'string') return { ok: false, message: seed };
  const modes: CompareMode[] = [];
  for (const [index, draft] of form.modes.entries()) {
    const mode = modeOf(draft, form.kind, index);
    if (typeof mode === 'string') return { ok: false, message: mode };
    modes.push(mode);
  }
  if (form.kind === 'image') return { ok: true, request: { kind: 'image', prompt: form.prompt, seed, modes } };
  const maxNewTokens = integerField(form.maxNewTokens, 'Max new tokens', 1, 32_768);
  if (typeof maxNewTokens === 'string') return { ok: false, message: maxNewTokens };
  return { ok: true, request: { kind: 'text', prompt: form.prompt, seed, modes, maxNewTokens } };
}
