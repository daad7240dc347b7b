import type { ExecutionProvider, Settings } from '../contract';
import type { ImageModelFolder } from '../engine/image/model-folder';
import type { TextModelFolder } from '../engine/text/model-folder';
import { fileIdentity } from '../policy/calibration-store';
import type { FamilyPoint, FamilySpec } from '../policy/family-planner';
import { imageQuality, textQuality } from '../policy/operating-point-policy';

/** Runs one text point as a generation would, for `tokens` new tokens, and returns its ms/token. */
export type MeasureTextPoint = (folder: TextModelFolder, precision: string, depth: number, tokens: number) => Promise<number>;
/** Makes one image at a point as a generation would and returns its seconds per image. */
export type MeasureImagePoint = (folder: ImageModelFolder, precision: string, steps: number) => Promise<number>;

/** The settings a cost depends on, in words: a calibration holds only under the conditions it ran in. */
export function runConditions(settings: Settings, ep: ExecutionProvider): string {
  return `${ep} with ${settings.threads ?? 'all'} threads and ${settings.graphOptimizationLevel} graph optimisation`;
}


/** A text family's points with declared quality (pareto.json): each precision at each depth exit. */
export function textFamilySpec(name: string, folders: readonly TextModelFolder[], ep: ExecutionProvider, conditions: string, measure: (folder: TextModelFolder, precision: string, depth: number) => Promise<number>): FamilySpec {
  const points: FamilyPoint[] = folders.flatMap((folder) =>
    folder.points.flatMap((point) => {
      const bitsPerByte = point.quality?.bitsPerByte;
      if (bitsPerByte === undefined) return [];
      return [
        {
          id: `${folder.name}:${point.precision}:${point.depth}`,
          model: folder.name,
          modelDir: folder.dir,
          precision: point.precision,
          depth: point.depth,
          steps: null,
          quality: textQuality(bitsPerByte),
          bitsPerByte,
          frechetDistance: null,
          faithfulness: null,
          fileId: fileIdentity(point.path),
          network: `${folder.name}@${point.depth}`,
          measure: () => measure(folder, point.precision, point.depth),
        },
      ];
    }),
  );
  return { kind: 'text', name, ep, conditions, points };
}

/** An image family's points with declared quality: each UNet precision at each step count pareto.json measured. */
export function imageFamilySpec(name: string, folders: readonly ImageModelFolder[], ep: ExecutionProvider, conditions: string, measure: MeasureImagePoint): FamilySpec {
  const points: FamilyPoint[] = folders.flatMap((folder) =>
    folder.unetPoints.flatMap((point) => {
      const frechetDistance = point.quality?.frechetDistance;
      const steps = point.steps;
      if (frechetDistance === undefined || steps === null) return [];
      return [
        {
          id: `${folder.name}:${point.precision}:${steps}`,
          model: folder.name,
          modelDir: folder.dir,
          precision: point.precision,
          depth: null,
          steps,
          quality: imageQuality(frechetDistance),
          bitsPerByte: null,
          frechetDistance,
          faithfulness: point.quality?.faithfulness ?? null,
          fileId: fileIdentity(point.path),
          network: `${folder.name}@${steps}`,
          measure: () => measure(folder, point.precision, steps),
        },
      ];
    }),
  );
  return { kind: 'image', name, ep, conditions, points };
}
