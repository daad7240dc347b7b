import { ApiError, type ExecutionProvider, type GenerationConfig } from '../contract';
import type { TextModelFolder } from '../engine/text/model-folder';
import { CalibrationStore } from './calibration-store';
import { chooseOperatingPoint, type OperatingPoint } from './operating-point-policy';

export interface PlanRequest {
  lambda: number;
  family: string;
  ep: ExecutionProvider;
  /** Knobs the user fixed by hand: λ chooses among the points that match them. */
  precision?: string;
  depth?: number;
}

/** Runs a short generation on one point and returns its ms/token, for first-use calibration. */
export type MeasurePoint = (folder: TextModelFolder, precision: string, depth: number) => Promise<number>;

/** Turns λ into a model folder, precision and depth from a family's declared quality and this device's measured cost. */
export class FamilyPlanner {
  constructor(
    readonly calibration: CalibrationStore,
    private readonly measure: MeasurePoint,
  ) {}

  async points(folders: readonly TextModelFolder[], request: PlanRequest): Promise<OperatingPoint[]> {
    const points: OperatingPoint[] = [];
    for (const folder of folders) {
      for (const point of folder.points) {
        const bitsPerByte = point.quality?.bitsPerByte;
        if (bitsPerByte === undefined) continue;
        if (request.precision !== undefined && point.precision !== request.precision) continue;
        if (request.depth !== undefined && point.depth !== request.depth) continue;
        const key = CalibrationStore.key(point.path, request.ep);
        let msPerToken = this.calibration.msPerToken(key);
        if (msPerToken === null) {
          msPerToken = await this.measure(folder, point.precision, point.depth);
          this.calibration.record(key, msPerToken);
        }
        points.push({ modelDir: folder.dir, model: folder.name, precision: point.precision, depth: point.depth, bitsPerByte, msPerToken, measured: true });
      }
    }
    return points;
  }

  async plan(folders: readonly TextModelFolder[], request: PlanRequest): Promise<NonNullable<GenerationConfig['operatingPoint']> & { modelDir: string }> {
    const points = await this.points(folders, request);
    if (points.length === 0) {
      throw new ApiError('bad_request', `The ${request.family} family has no operating point with measured quality${request.precision || request.depth ? ' matching the fixed precision/depth' : ''}.`);
    }
    const chosen = chooseOperatingPoint(points, request.lambda);
    return {
      lambda: request.lambda,
      modelDir: chosen.modelDir,
      model: chosen.model,
      precision: chosen.precision,
      depth: chosen.depth,
      utility: chosen.utility,
      quality: chosen.quality,
      efficiency: chosen.efficiency,
      bitsPerByte: chosen.bitsPerByte,
      msPerToken: chosen.msPerToken,
    };
  }
}
