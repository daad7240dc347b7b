import { ApiError, type ExecutionProvider, type GenerationConfig, type ImageOperatingPoint } from '../contract';
import type { ImageModelFolder } from '../engine/image/model-folder';
import type { TextModelFolder } from '../engine/text/model-folder';
import { CalibrationStore } from './calibration-store';
import { chooseOperatingPoint, imageQuality, textQuality } from './operating-point-policy';

export interface PlanRequest {
  lambda: number;
  family: string;
  ep: ExecutionProvider;
  /** Knobs the user fixed by hand: λ chooses among the points that match them. */
  precision?: string;
  depth?: number;
  steps?: number;
}

/** Runs a short generation on one text point and returns its ms/token, for first-use calibration. */
export type MeasureTextPoint = (folder: TextModelFolder, precision: string, depth: number) => Promise<number>;
/** Generates one image at a point and returns its seconds per image. */
export type MeasureImagePoint = (folder: ImageModelFolder, precision: string, steps: number) => Promise<number>;

export type TextPlan = NonNullable<GenerationConfig['operatingPoint']> & { modelDir: string };
export type ImagePlan = ImageOperatingPoint & { modelDir: string };

function noPoints(request: PlanRequest): never {
  const fixed = request.precision || request.depth || request.steps ? ' matching the fixed knobs' : '';
  throw new ApiError('bad_request', `The ${request.family} family has no operating point with measured quality${fixed}.`);
}

/**
 * Turns λ into a model folder and its knobs, from the quality a family declares (pareto.json) and
 * the cost each point has on this device: measured on first use, refined by every run after.
 */
export class FamilyPlanner {
  constructor(readonly calibration: CalibrationStore) {}

  private async cost(key: string, measure: () => Promise<number>): Promise<number> {
    let cost = this.calibration.cost(key);
    if (cost === null) {
      cost = await measure();
      this.calibration.record(key, cost);
    }
    return cost;
  }

  async planText(folders: readonly TextModelFolder[], request: PlanRequest, measure: MeasureTextPoint): Promise<TextPlan> {
    const candidates = [];
    for (const folder of folders) {
      for (const point of folder.points) {
        const bitsPerByte = point.quality?.bitsPerByte;
        if (bitsPerByte === undefined || (request.precision ?? point.precision) !== point.precision || (request.depth ?? point.depth) !== point.depth) continue;
        const msPerToken = await this.cost(CalibrationStore.key(point.path, request.ep), () => measure(folder, point.precision, point.depth));
        candidates.push({ folder, point, bitsPerByte, quality: textQuality(bitsPerByte), cost: msPerToken });
      }
    }
    if (candidates.length === 0) noPoints(request);
    const chosen = chooseOperatingPoint(candidates, request.lambda);
    return {
      lambda: request.lambda,
      modelDir: chosen.folder.dir,
      model: chosen.folder.name,
      precision: chosen.point.precision,
      depth: chosen.point.depth,
      utility: chosen.utility,
      quality: chosen.qualityRatio,
      efficiency: chosen.efficiency,
      bitsPerByte: chosen.bitsPerByte,
      msPerToken: chosen.cost,
    };
  }

  async planImage(folders: readonly ImageModelFolder[], request: PlanRequest, measure: MeasureImagePoint): Promise<ImagePlan> {
    const candidates = [];
    for (const folder of folders) {
      for (const point of folder.unetPoints) {
        const frechetDistance = point.quality?.frechetDistance;
        const steps = point.steps;
        if (frechetDistance === undefined || steps === null || (request.precision ?? point.precision) !== point.precision || (request.steps ?? steps) !== steps) continue;
        const sPerImage = await this.cost(CalibrationStore.key(point.path, request.ep, `steps=${steps}`), () => measure(folder, point.precision, steps));
        candidates.push({ folder, point, steps, frechetDistance, quality: imageQuality(frechetDistance), cost: sPerImage });
      }
    }
    if (candidates.length === 0) noPoints(request);
    const chosen = chooseOperatingPoint(candidates, request.lambda);
    return {
      lambda: request.lambda,
      modelDir: chosen.folder.dir,
      model: chosen.folder.name,
      precision: chosen.point.precision,
      steps: chosen.steps,
      utility: chosen.utility,
      quality: chosen.qualityRatio,
      efficiency: chosen.efficiency,
      frechetDistance: chosen.frechetDistance,
      faithfulness: chosen.point.quality?.faithfulness ?? null,
      sPerImage: chosen.cost,
    };
  }
}
