import { ApiError, type ResolvedImageGenerationRequest, type ResolvedTextGenerationRequest } from '../contract';
import { folderPrecisions } from '../engine/text/model-folder';
import type { FamilyPlanner, MeasureImagePoint, MeasureTextPoint } from '../policy/family-planner';
import type { ModelRegistry } from './model-registry';
import type { SettingsStore } from './settings-store';

/**
 * Where λ applies — a request with `lambda`, or one that names no model — the family planner picks
 * the model folder and its knobs; knobs the request fixes by hand are kept. Otherwise the request
 * runs as given.
 */
export class OperatingPointResolver {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly settings: SettingsStore,
    private readonly planner: FamilyPlanner,
    private readonly measure: { text: MeasureTextPoint; image: MeasureImagePoint },
  ) {}

  async text(request: ResolvedTextGenerationRequest) {
    if (request.model !== undefined && request.lambda === undefined) return { request, model: this.registry.resolve(request.model), operatingPoint: null };
    const named = request.model === undefined ? null : this.registry.resolve(request.model);
    const family = named ? named.info.family : this.registry.defaultFamily('text');
    if (!family) {
      if (named) throw new ApiError('bad_request', `λ needs a model family with measured quality (pareto.json); ${named.info.id} has none. Set precision and depth directly.`);
      return { request, model: this.registry.resolve(this.fallbackModel('text')), operatingPoint: null };
    }
    const lambda = request.lambda ?? this.settings.get().lambda;
    // With dynamic precision, λ chooses among models that have both variants, judged at the full one.
    const dynamic = request.dynamicPrecision;
    const folders = this.registry.family(family).filter((folder) => !dynamic || [dynamic.cheap, dynamic.full].every((p) => folderPrecisions(folder).includes(p)));
    const precision = dynamic ? dynamic.full : request.precision;
    const { modelDir, ...operatingPoint } = await this.planner.planText(folders, { lambda, family, ep: request.ep, precision, depth: request.depth }, this.measure.text);
    return { request: { ...request, model: modelDir, precision: operatingPoint.precision, depth: operatingPoint.depth }, model: this.registry.resolve(modelDir), operatingPoint };
  }

  async image(request: ResolvedImageGenerationRequest) {
    if (request.model !== undefined && request.lambda === undefined) return { request: { ...request, model: request.model }, model: this.registry.resolveImage(request.model), operatingPoint: null };
    const named = request.model === undefined ? null : this.registry.resolveImage(request.model);
    const family = named ? named.info.family : this.registry.defaultFamily('image');
    if (!family) {
      if (named) throw new ApiError('bad_request', `λ needs a model family with measured quality (pareto.json); ${named.info.id} has none. Set precision and steps directly.`);
      const model = this.fallbackModel('image');
      return { request: { ...request, model }, model: this.registry.resolveImage(model), operatingPoint: null };
    }
    const lambda = request.lambda ?? this.settings.get().lambda;
    const plan = { lambda, family, ep: request.ep, precision: request.precision, steps: request.steps };
    const { modelDir, ...operatingPoint } = await this.planner.planImage(this.registry.imageFamily(family), plan, this.measure.image);
    const planned = { ...request, model: modelDir, precision: operatingPoint.precision, steps: operatingPoint.steps };
    return { request: planned, model: this.registry.resolveImage(modelDir), operatingPoint };
  }

  private fallbackModel(kind: 'text' | 'image'): string {
    const defaultModel = this.settings.get().defaultModel;
    const models = this.registry.list().filter((model) => model.kind === kind);
    const model = models.find((m) => m.id === defaultModel) ?? models[0];
    if (!model) throw new ApiError('not_found', `No model given and no ${kind} model is installed; import a model folder first.`);
    return model.id;
  }
}
