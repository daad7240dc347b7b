import fs from 'node:fs';
import path from 'node:path';
import { ApiError, ImageGenerationRequestSchema, type ExecutionProvider } from '../contract';
import type { GraphSession } from '../engine/image/graph-session';
import { ImageGenerator } from '../engine/image/image-generator';
import { isImageModelFolder, loadImageModelFolder, type ImageModelFolder } from '../engine/image/model-folder';
import { SessionPool } from '../engine/onnx/session-pool';
import { median } from '../metering/statistics';
import { timePytorchUnet } from './peers/pytorch-unet';

export interface ImageBenchOptions {
  modelsDir: string;
  /** The recipe's folder with each UNet's PyTorch weights and the script that times them. */
  recipeDir: string;
  repeats: number;
  ep: ExecutionProvider;
}

interface RoleTiming {
  model: string;
  steps: number;
  precision: string;
  sPerImage: number[];
  sPerImageMedian: number;
  msPerStepMedian: number;
  pytorchMsPerStepMedian: number | null;
  /** The PyTorch state dict the peer ran (the same weights as the ONNX graphs), relative to the working folder. */
  pytorchWeights: string;
}

export interface ImageBenchReport {
  ep: ExecutionProvider;
  repeats: number;
  teacher: RoleTiming;
  student: RoleTiming;
  ratios: { vsPytorchEager?: number; teacherVsStudentPerImage: number };
  skipped: Record<string, string>;
}

/** The bundled image family's teacher and its smallest student, with the step counts their pareto.json declares. */
function familyRoles(modelsDir: string): { teacher: ImageModelFolder; student: ImageModelFolder } {
  const folders = fs
    .readdirSync(modelsDir)
    .map((name) => path.join(modelsDir, name))
    .filter((dir) => isImageModelFolder(dir) && fs.existsSync(path.join(dir, 'pareto.json')))
    .map(loadImageModelFolder);
  const teacher = folders.find((folder) => folder.manifest?.role === 'teacher');
  const students = folders.filter((folder) => folder.manifest?.role === 'student').sort((a, b) => a.sizeBytes - b.sizeBytes);
  if (!teacher || !students[0]) throw new ApiError('not_found', `No image teacher and student packages in ${modelsDir}; run npm run models:image.`);
  return { teacher, student: students[0] };
}

/**
 * The PyTorch state dict of a package's UNet, from the recipe run its pareto.json names (`--config X`):
 * runs/image/X/ for the runs that train into the repository (v1 `full`, v2 `cpu` and `cuda`), else the
 * `_work` folder beside the packages, where runs written elsewhere (`--config smoke --out DIR`) keep theirs.
 */
export function torchWeights(folder: ImageModelFolder, role: 'teacher' | 'student', recipeDir: string): string {
  const config = /--config\s+(\S+)/.exec(folder.manifest?.provenance?.recipe ?? '')?.[1] ?? 'full';
  const file = `${role}_unet.pt`;
  const candidates = [path.join(recipeDir, 'runs', 'image', config, file), path.join(path.dirname(folder.dir), '_work', file)];
  return candidates.find((candidate) => fs.existsSync(candidate)) ?? candidates[0]!;
}

/** The step count a package's quality was measured at for its full-precision UNet. */
function declaredSteps(folder: ImageModelFolder): number {
  const point = folder.unetPoints.find((p) => p.precision === 'fp32' && p.steps !== null) ?? folder.unetPoints.find((p) => p.steps !== null);
  return point?.steps ?? 25;
}

async function timeRole(folder: ImageModelFolder, role: 'teacher' | 'student', options: ImageBenchOptions, skipped: Record<string, string>): Promise<RoleTiming> {
  const pool = new SessionPool<GraphSession>(Infinity);
  const generator = new ImageGenerator(folder, pool);
  const steps = declaredSteps(folder);
  const request = { ...ImageGenerationRequestSchema.parse({ prompt: 'a smiling cat face', steps, seed: 1, previewEvery: 0, ep: options.ep }), model: folder.dir };
  try {
    const [warmUp] = await generator.generate(request);
    const { cfg } = warmUp!;
    const perImage: number[] = [];
    const perStep: number[] = [];
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      const [image] = await generator.generate({ ...request, seed: repeat + 2 });
      const { metrics } = image!;
      perImage.push(metrics.sPerImage);
      perStep.push(metrics.msPerStep!);
    }
    let pytorchMsPerStepMedian: number | null = null;
    const weights = torchWeights(folder, role, options.recipeDir);
    try {
      const script = path.join(options.recipeDir, 'image', 'bench_torch_unet.py');
      // The same batch as the engine's UNet call: a guidance-distilled student runs batch 1, guided CFG batch 2.
      const batch = cfg === 'none' ? 1 : 2;
      pytorchMsPerStepMedian = median(timePytorchUnet(script, weights, batch, Math.max(10, options.repeats * 4)).msPerStep);
    } catch (error) {
      skipped[`pytorch ${role}`] = (error as Error).message;
    }
    return {
      model: folder.name,
      steps,
      precision: 'fp32',
      sPerImage: perImage,
      sPerImageMedian: median(perImage),
      msPerStepMedian: median(perStep),
      pytorchMsPerStepMedian,
      pytorchWeights: path.relative(process.cwd(), weights),
    };
  } finally {
    await pool.closeAll();
  }
}

/** Teacher at its steps against student at its steps, and each UNet step against PyTorch eager on the same weights. */
export async function benchImage(options: ImageBenchOptions): Promise<ImageBenchReport> {
  const { teacher, student } = familyRoles(options.modelsDir);
  const skipped: Record<string, string> = {};
  const teacherTiming = await timeRole(teacher, 'teacher', options, skipped);
  const studentTiming = await timeRole(student, 'student', options, skipped);
  const vsPytorchEager = studentTiming.pytorchMsPerStepMedian === null ? undefined : studentTiming.pytorchMsPerStepMedian / studentTiming.msPerStepMedian;
  return {
    ep: options.ep,
    repeats: options.repeats,
    teacher: teacherTiming,
    student: studentTiming,
    ratios: { ...(vsPytorchEager === undefined ? {} : { vsPytorchEager }), teacherVsStudentPerImage: teacherTiming.sPerImageMedian / studentTiming.sPerImageMedian },
    skipped,
  };
}
