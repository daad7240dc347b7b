import {
  ApiError,
  CalibrateRequestSchema,
  type CalibrationResult,
  type ExecutionProvider,
  type GenerationConfig,
  type ImageOperatingPoint,
  type PlanPreview,
  type ResolvedCalibrateRequest,
  type ResolvedImageGenerationRequest,
  type ResolvedPlanPreviewRequest,
  type ResolvedTextGenerationRequest,
} from '../contract';
import { folderPrecisions } from '../engine/text/model-folder';
import type { BatchProgress, ChosenPoint, FamilyPlanner, FamilySpec, Knobs } from '../policy/family-planner';
import { imageFamilySpec, runConditions, textFamilySpec, type MeasureImagePoint, type MeasureTextPoint } from './family-specs';
import type { ModelRegistry } from './model-registry';
import type { SettingsStore } from './settings-store';

type Kind = 'text' | 'image';
/** How `pareto calibrate` measures a family by default. */
const DEFAULT_CALIBRATION = CalibrateRequestSchema.parse({});
/** A run that finds its family uncalibrated waits for a lighter batch: enough for a median and a spread. */
const FIRST_USE_CALIBRATION = { repeats: 3, tokens: 32 };
type TextOperatingPoint = NonNullable<GenerationConfig['operatingPoint']>;

/** What text and image operating points share: the point chosen, the utility terms it won by, why it was measured first. */
function chosenTerms(lambda: number, chosen: ChosenPoint) {
  const { point, utility, quality, efficiency, calibrationNote } = chosen;
  return { lambda, model: point.model, precision: point.precision, utility, quality, efficiency, calibrationNote };
}

/**
 * Where λ applies — a request with `lambda`, or one that names no model — the family planner picks
 * the model folder and its knobs; knobs the request fixes by hand are kept. Otherwise the request
 * runs as given. Also the preview of that choice, calibration on request, and the level refresh after a run.
 */
export class OperatingPointResolver {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly settings: SettingsStore,
    private readonly planner: FamilyPlanner,
    private readonly measure: { text: MeasureTextPoint; image: MeasureImagePoint },
    private readonly onProgress: (kind: Kind, family: string, progress: BatchProgress) => void,
  ) {}

  private spec(kind: Kind, family: string, ep: ExecutionProvider, tokens = DEFAULT_CALIBRATION.tokens): FamilySpec {
    const conditions = runConditions(this.settings.get(), ep);
    return kind === 'text'
      ? textFamilySpec(family, this.registry.family(family), ep, conditions, (folder, precision, depth) => this.excludingBroken(folder.dir, () => this.measure.text(folder, precision, depth, tokens)))
      : imageFamilySpec(family, this.registry.imageFamily(family), ep, conditions, (folder, precision, steps) => this.excludingBroken(folder.dir, () => this.measure.image(folder, precision, steps)));
  }

  /** Measures a package's point; one whose files will not load is taken out of its family, the rest unharmed. */
  private async excludingBroken(dir: string, measure: () => Promise<number>): Promise<number> {
    try {
      return await measure();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'invalid_model') this.registry.exclude(dir, error.message);
      throw error;
    }
  }

  /** Plans (calibrating first where needed) again each time a broken package left the family on the way. */
  private async planOverWorking<T>(plan: () => Promise<T>): Promise<T> {
    for (;;) {
      const excludedBefore = this.registry.excludedCount;
      try {
        return await plan();
      } catch (error) {
        if (this.registry.excludedCount === excludedBefore) throw error;
      }
    }
  }

  private progressFor(kind: Kind, family: string) {
    return (progress: BatchProgress) => this.onProgress(kind, family, progress);
  }

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
    const modelDirs = dynamic ? this.registry.family(family).filter((folder) => [dynamic.cheap, dynamic.full].every((p) => folderPrecisions(folder).includes(p))).map((folder) => folder.dir) : undefined;
    const knobs: Knobs = { precision: dynamic ? dynamic.full : request.precision, depth: request.depth, modelDirs };
    const chosen = await this.planOverWorking(() => this.planner.plan(this.spec('text', family, request.ep, FIRST_USE_CALIBRATION.tokens), lambda, knobs, FIRST_USE_CALIBRATION.repeats, this.progressFor('text', family)));
    const { point, predicted } = chosen;
    const operatingPoint: TextOperatingPoint = {
      ...chosenTerms(lambda, chosen),
      depth: point.depth!,
      bitsPerByte: point.bitsPerByte!,
      msPerToken: predicted.median,
      msPerTokenRange: { low: predicted.low, high: predicted.high },
    };
    return { request: { ...request, model: point.modelDir, precision: point.precision, depth: point.depth! }, model: this.registry.resolve(point.modelDir), operatingPoint };
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
    const chosen = await this.planOverWorking(() => this.planner.plan(this.spec('image', family, request.ep), lambda, { precision: request.precision, steps: request.steps }, FIRST_USE_CALIBRATION.repeats, this.progressFor('image', family)));
    const { point, predicted } = chosen;
    const operatingPoint: ImageOperatingPoint = {
      ...chosenTerms(lambda, chosen),
      steps: point.steps!,
      frechetDistance: point.frechetDistance!,
      faithfulness: point.faithfulness,
      sPerImage: predicted.median,
      sPerImageRange: { low: predicted.low, high: predicted.high },
    };
    const planned = { ...request, model: point.modelDir, precision: point.precision, steps: point.steps! };
    return { request: planned, model: this.registry.resolveImage(point.modelDir), operatingPoint };
  }

  /** What λ would run for the bundled family of a kind (or a named model's family), from the stored calibration. */
  preview(params: ResolvedPlanPreviewRequest): PlanPreview {
    const kind = params.family;
    const named = params.model === undefined ? null : kind === 'text' ? this.registry.resolve(params.model).info : this.registry.resolveImage(params.model).info;
    const family = named ? named.family : this.registry.defaultFamily(kind);
    if (!family) {
      throw new ApiError(named ? 'bad_request' : 'not_found', named ? `${named.id} has no model family (pareto.json), so λ has nothing to choose from.` : `No bundled ${kind} family is installed, so λ has nothing to choose from.`);
    }
    return this.planner.preview(this.spec(kind, family, params.ep), params.lambda, { precision: params.precision, depth: params.depth, steps: params.steps });
  }

  /** Measures the named family (or every bundled family of the kind, or all of them) again, now. */
  async calibrate(params: ResolvedCalibrateRequest): Promise<CalibrationResult[]> {
    const results: CalibrationResult[] = [];
    for (const { kind, family } of this.familiesToCalibrate(params.family, params.kind)) {
      results.push(await this.planOverWorking(() => this.planner.calibrate(this.spec(kind, family, params.ep, params.tokens), params.repeats, this.progressFor(kind, family))));
    }
    return results;
  }

  private familiesToCalibrate(name: string | undefined, kind: Kind | undefined): { kind: Kind; family: string }[] {
    const kinds: Kind[] = kind ? [kind] : ['text', 'image'];
    const known = kinds.flatMap((k) => [...new Set(this.registry.list().filter((model) => model.kind === k && model.family !== null).map((model) => model.family!))].map((family) => ({ kind: k, family })));
    if (name !== undefined) {
      const matching = known.filter((entry) => entry.family === name);
      if (matching.length === 0) throw new ApiError('not_found', `No ${kind ?? ''}${kind ? ' ' : ''}family named "${name}"; installed families: ${known.map((entry) => entry.family).join(', ') || 'none'}.`);
      return matching;
    }
    const bundled = kinds.map((k) => this.registry.defaultFamily(k)).flatMap((family, index) => (family ? [{ kind: kinds[index]!, family }] : []));
    if (bundled.length === 0) throw new ApiError('not_found', 'No bundled model family is installed to calibrate; name one with --family.');
    return bundled;
  }

  /** A finished run of a family's point refreshes that family's level; runs outside any family change nothing. */
  recordRun(kind: Kind, modelDir: string, precision: string, depthOrSteps: number, ep: ExecutionProvider, cost: number): void {
    const model = this.registry.list().find((info) => info.path === modelDir && info.kind === kind);
    if (!model?.family) return;
    const spec = this.spec(kind, model.family, ep);
    const point = spec.points.find((candidate) => candidate.modelDir === modelDir && candidate.precision === precision && (candidate.depth ?? candidate.steps) === depthOrSteps);
    if (point) this.planner.recordRun(spec, point.id, cost);
  }

  private fallbackModel(kind: Kind): string {
    const defaultModel = this.settings.get().defaultModel;
    const models = this.registry.list().filter((model) => model.kind === kind);
    const model = models.find((m) => m.id === defaultModel) ?? models[0];
    if (!model) throw new ApiError('not_found', `No model given and no ${kind} model is installed; import a model folder first.`);
    return model.id;
  }
}
