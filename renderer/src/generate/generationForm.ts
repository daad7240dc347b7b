import { TextGenerationRequestSchema, type ExecutionProvider, type Settings, type TextGenerationRequest } from '../../../native/contract';
import { fieldLabel } from '../format';

export type SamplingMode = 'greedy' | 'sample';

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
  /** A precision variant of the chosen model; blank uses the model's default. */
  precision: string;
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
    precision: '',
  };
}

export type BuiltRequest = { ok: true; request: TextGenerationRequest } | { ok: false; message: string };

function parseNumber(field: string, text: string): number | string {
  const value = Number(text.trim());
  return text.trim() === '' || !Number.isFinite(value) ? `${fieldLabel(field)} must be a number.` : value;
}

/** Turns the form into a request the host will accept, or one sentence saying what to fix. */
export function buildTextRequest(model: string | null, prompt: string, form: GenerationForm): BuiltRequest {
  if (!model) return { ok: false, message: 'Choose a model first, or add a model folder.' };
  const numbers: Record<string, number> = {};
  const fields: [string, string][] = [['maxNewTokens', form.maxNewTokens]];
  if (form.mode === 'sample') {
    fields.push(['temperature', form.temperature], ['topK', form.topK], ['topP', form.topP]);
    if (form.seed.trim() !== '') fields.push(['seed', form.seed]);
  }
  for (const [field, text] of fields) {
    const parsed = parseNumber(field, text);
    if (typeof parsed === 'string') return { ok: false, message: parsed };
    numbers[field] = parsed;
  }
  const request: TextGenerationRequest = { model, prompt, ep: form.ep, doSample: form.mode === 'sample', ...numbers };
  if (form.precision) request.precision = form.precision;
  const checked = TextGenerationRequestSchema.safeParse(request);
  if (checked.success) return { ok: true, request };
  const issue = checked.error.issues[0];
  const field = String(issue?.path[0] ?? '');
  return { ok: false, message: `${fieldLabel(field)}: ${issue?.message ?? 'invalid value'}.` };
}

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}
