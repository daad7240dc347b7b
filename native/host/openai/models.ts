import fs from 'node:fs';
import type { ModelInfo } from '../../contract';
import type { OpenAiModel, ParetoModelPoint } from '../../contract/openai';
import { invoke, type HostConnection } from '../host-connection';
import { OpenAiError } from './http';

/** What a request's `model` names: one model, run as given, or a family, planned by λ across its members. */
export interface ApiTarget {
  id: string;
  kind: ModelInfo['kind'];
  family: string | null;
  isFamily: boolean;
  /** The model itself, or every member of the family. */
  members: ModelInfo[];
}

const ENDPOINT_FOR: Record<ModelInfo['kind'], string> = { text: 'POST /v1/chat/completions or /v1/completions', image: 'POST /v1/images/generations' };

/** Every id the API answers to: each family of our own packages (e.g. `pareto-stories`), then each model. */
export async function listTargets(host: HostConnection): Promise<ApiTarget[]> {
  const models = await invoke(host, 'listModels');
  const ids = new Set(models.map((model) => model.id));
  const families = new Map<string, ApiTarget>();
  for (const model of models) {
    // A model whose id is also a family name keeps the id; the family is still reachable through λ on the model.
    if (!model.family || ids.has(model.family)) continue;
    const family = families.get(model.family) ?? { id: model.family, kind: model.kind, family: model.family, isFamily: true, members: [] };
    if (family.kind === model.kind) family.members.push(model);
    families.set(model.family, family);
  }
  const singles = models.map((model) => ({ id: model.id, kind: model.kind, family: model.family, isFamily: false, members: [model] }));
  return [...families.values(), ...singles];
}

/** The model or family a request names, of the kind its endpoint makes; an OpenAI-shaped 404 or 400 otherwise. */
export async function findTarget(host: HostConnection, id: string, kind: ModelInfo['kind']): Promise<ApiTarget> {
  const targets = await listTargets(host);
  const target = targets.find((candidate) => candidate.id === id);
  if (!target) {
    const known = targets.filter((candidate) => candidate.kind === kind).map((candidate) => candidate.id);
    const hint = known.length ? `Known ${kind} models: ${known.join(', ')}.` : `No ${kind} models are installed: start \`pareto serve --model DIR\`.`;
    throw new OpenAiError(404, `The model "${id}" does not exist. ${hint}`, 'not_found_error', 'model', 'model_not_found');
  }
  if (target.kind !== kind) throw new OpenAiError(400, `"${id}" is ${target.kind === 'image' ? 'an image' : 'a text'} model: use ${ENDPOINT_FOR[target.kind]}.`, 'invalid_request_error', 'model', 'wrong_model_kind');
  return target;
}

function pointsOf(model: ModelInfo): ParetoModelPoint[] {
  return (model.points ?? []).map((point) =>
    model.kind === 'image'
      ? { model: model.id, precision: point.precision, steps: point.steps, frechet_distance: point.frechetDistance }
      : { model: model.id, precision: point.precision, depth: point.depth ?? undefined, bits_per_byte: point.bitsPerByte },
  );
}

function createdOf(models: readonly ModelInfo[]): number {
  const times = models.map((model) => {
    try {
      return fs.statSync(model.path).mtimeMs;
    } catch {
      return Date.now();
    }
  });
  return Math.floor(Math.max(...times) / 1000);
}

/** A `/v1/models` entry, with what the studio knows of it under `pareto`. */
export function describeTarget(target: ApiTarget): OpenAiModel {
  const single = target.isFamily ? null : target.members[0]!;
  return {
    id: target.id,
    object: 'model',
    created: createdOf(target.members),
    owned_by: 'pareto-studio',
    pareto: {
      kind: target.kind,
      is_family: target.isFamily,
      family: target.family,
      models: target.members.map((model) => model.id),
      precisions: [...new Set(target.members.flatMap((model) => model.variants))],
      context_length: single?.kind === 'text' ? single.contextLength : null,
      operating_points: target.members.flatMap(pointsOf),
    },
  };
}
