import type { ModelInfo } from '../../../native/contract';

/** The model select's value for "let λ choose within the bundled family". Not a valid folder name, so no model id can equal it. */
export const AUTO_MODEL = ':auto';

/** The precisions the engine knows, in the order the UI lists them (best quality first). */
export const KNOWN_PRECISIONS = ['fp32', 'fp16', 'int8', 'q4f16', 'q4'] as const;

/** What the Generate view will run with: λ over the bundled family, one model, or nothing yet. */
export type ModelChoice =
  | { kind: 'auto'; family: string; members: ModelInfo[] }
  | { kind: 'model'; model: ModelInfo; members: ModelInfo[] }
  | { kind: 'none' };

/** The family the host uses when a request names no model: that of the first bundled package with one. */
export function bundledFamily(models: readonly ModelInfo[]): string | null {
  return models.find((model) => model.source === 'bundled' && model.family !== null)?.family ?? null;
}

function familyMembers(models: readonly ModelInfo[], family: string): ModelInfo[] {
  return models.filter((model) => model.family === family);
}

/**
 * The choice in force: the one the user picked if still available, else the default model from
 * Settings, else Auto when a bundled family exists, else the first model.
 */
export function resolveModelChoice(models: readonly ModelInfo[], chosen: string | null, defaultModel: string | null): ModelChoice {
  const family = bundledFamily(models);
  const auto = (): ModelChoice | null => (family ? { kind: 'auto', family, members: familyMembers(models, family) } : null);
  const named = (id: string | null): ModelChoice | null => {
    const model = id ? models.find((candidate) => candidate.id === id) : undefined;
    if (!model) return null;
    // A model picked by hand runs as picked: its own knobs, not its family's.
    return { kind: 'model', model, members: [model] };
  };
  return (chosen === AUTO_MODEL ? auto() : named(chosen)) ?? named(defaultModel) ?? auto() ?? named(models[0]?.id ?? null) ?? { kind: 'none' };
}

export function choiceValue(choice: ModelChoice): string | null {
  return choice.kind === 'auto' ? AUTO_MODEL : choice.kind === 'model' ? choice.model.id : null;
}

/** The family λ chooses within: only under Auto, since a model picked by hand runs as picked. */
export function lambdaFamily(choice: ModelChoice): string | null {
  return choice.kind === 'auto' ? choice.family : null;
}

/**
 * One line saying why the slider is off, or null when λ chooses (Auto). The same in the Generate and
 * Images views: a model picked by hand runs as picked, with its own knobs, and λ is off for it.
 */
export function lambdaOffReason(choice: ModelChoice, autoFamily: string | null, words: { knobs: string; none: string }): string | null {
  if (choice.kind === 'none') return words.none;
  if (choice.kind === 'auto') return null;
  if (autoFamily) return `${choice.model.name} runs as you set it, with its own knobs. Pick Auto (λ) to let the slider choose ${words.knobs} in the ${autoFamily} family.`;
  return 'No installed model has a measured family (pareto.json), so λ cannot choose: the model you pick runs as you set it.';
}

/** The precisions and depths the choice can run, across the family when λ chooses among several models. */
export function offeredKnobs(choice: ModelChoice): { variants: string[]; depths: number[] } {
  if (choice.kind === 'none') return { variants: [], depths: [] };
  const variants = new Set(choice.members.flatMap((model) => model.variants));
  const ordered = [...KNOWN_PRECISIONS.filter((variant) => variants.has(variant)), ...[...variants].filter((variant) => !(KNOWN_PRECISIONS as readonly string[]).includes(variant))];
  const depths = [...new Set(choice.members.flatMap((model) => model.depths))].sort((a, b) => a - b);
  return { variants: ordered, depths };
}

/** Which model fields a request carries: λ and no model in Auto, the model alone when one is picked. */
export interface RequestTarget {
  model?: string;
  lambda?: number;
}

export function requestTarget(choice: ModelChoice, lambda: number): RequestTarget | null {
  if (choice.kind === 'none') return null;
  if (choice.kind === 'auto') return { lambda };
  return { model: choice.model.id };
}
