import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError, ImageGenerationRequestSchema, type ExecutionProvider, type ImageResult } from '../contract';
import type { GraphSession } from '../engine/image/graph-session';
import { ImageGenerator } from '../engine/image/image-generator';
import { imagePrecisions, isImageModelFolder, loadImageModelFolder, type ImageModelFolder } from '../engine/image/model-folder';
import { defaultThreadCount } from '../engine/onnx/runtime';
import { SessionPool } from '../engine/onnx/session-pool';
import { median } from '../metering/statistics';
import { PytorchUnetPeer } from './peers/pytorch-unet';

export interface ImageBenchOptions {
  modelsDir: string;
  /** The recipe's folder with each UNet's PyTorch weights and the script that times them. */
  recipeDir: string;
  repeats: number;
  ep: ExecutionProvider;
}

/** One precision's images: each the whole image (text encoder, every UNet step with its scheduler step, VAE decode, PNG). */
interface PrecisionTiming {
  sPerImage: number[];
  sPerImageMedian: number;
  msPerStepMedian: number;
  /** Median ms of each part of an image; the rest of sPerImage is the run's own bookkeeping. */
  partsMsMedian: { textEncoder: number; unetSteps: number; decodeAndPng: number };
  /** Whether a weight-only int8 UNet was dequantised once at load rather than at every step. */
  foldedWeightDequantize: boolean;
}

interface RoleTiming extends PrecisionTiming {
  model: string;
  steps: number;
  precision: string;
  /** The intra-op threads of the engine's UNet session (the engine's own choice: 1 for models under 32 MB). */
  threads: number;
  /** PyTorch's median ms per step at the engine's thread count: the peer vsPytorchEager is taken against. */
  pytorchMsPerStepMedian: number | null;
  /**
   * Median ms per UNet step by intra-op thread count, timed in the same rounds: the engine's own count and every
   * core, for PyTorch always and for the engine where it is a student (another session with that many threads).
   */
  byThreads: Record<string, { engineMsPerStep?: number; pytorchMsPerStep: number }>;
  /** The PyTorch state dict the peer ran (the same weights as the ONNX graphs), relative to the working folder. */
  pytorchWeights: string;
  /** Every UNet precision the package ships, timed in the same rounds (students only). */
  precisions: Record<string, PrecisionTiming>;
}

export interface ImageBenchReport {
  ep: ExecutionProvider;
  repeats: number;
  /** os.loadavg() before and after: the machine may be shared, so each figure is read with its load. */
  loadAverage: { start: number[]; end: number[] };
  teacher: RoleTiming;
  student: RoleTiming;
  ratios: {
    /** PyTorch eager ms per step / the engine's, same weights, same batch, same threads (the engine's). */
    vsPytorchEager?: number;
    /** The same at each thread count both sides ran with. */
    vsPytorchEagerByThreads: Record<string, number>;
    teacherVsStudentPerImage: number;
  };
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
  const config = /--config\s+(\S+)/.exec(folder.manifest?.provenance?.recipe ?? '')?.[1] ?? 'cpu';
  const file = `${role}_unet.pt`;
  const candidates = [path.join(recipeDir, 'runs', 'image', config, file), path.join(path.dirname(folder.dir), '_work', file)];
  return candidates.find((candidate) => fs.existsSync(candidate)) ?? candidates[0]!;
}

/** The most precise UNet a package ships (the bundled teacher ships fp16 and int8 only): its headline figures' precision. */
function mostPrecise(folder: ImageModelFolder): string {
  const shipped = imagePrecisions(folder);
  return ['fp32', 'fp16', 'int8'].find((precision) => shipped.includes(precision)) ?? shipped[0]!;
}

/** The step count a package's quality was measured at for its most precise UNet. */
function declaredSteps(folder: ImageModelFolder): number {
  const main = mostPrecise(folder);
  const point = folder.unetPoints.find((p) => p.precision === main && p.steps !== null) ?? folder.unetPoints.find((p) => p.steps !== null);
  return point?.steps ?? 25;
}

/** PyTorch steps timed after each engine image, per thread setting. */
const PYTORCH_RUNS_PER_ROUND = 4;

function summarise(results: ImageResult[], folded: boolean): PrecisionTiming {
  const metrics = results.map((result) => result.metrics);
  const sPerImage = metrics.map((m) => m.sPerImage);
  return {
    sPerImage,
    sPerImageMedian: median(sPerImage),
    msPerStepMedian: median(metrics.map((m) => m.msPerStep!)),
    partsMsMedian: {
      textEncoder: median(metrics.map((m) => m.textEncoderMs)),
      unetSteps: median(metrics.map((m) => m.msPerStep! * m.steps)),
      decodeAndPng: median(metrics.map((m) => m.decodeMs)),
    },
    foldedWeightDequantize: folded,
  };
}

/**
 * The role's images at every precision it ships (the teacher: its most precise), one image per precision a round, (students)
 * an image of the most precise on every core, and PyTorch's steps on the same weights at each of those thread counts, in an order that
 * turns by one each round: studio and peer share each moment's load on a busy machine.
 */
async function timeRole(folder: ImageModelFolder, role: 'teacher' | 'student', options: ImageBenchOptions, skipped: Record<string, string>): Promise<RoleTiming> {
  const pool = new SessionPool<GraphSession>(Infinity);
  const generator = new ImageGenerator(folder, pool);
  const steps = declaredSteps(folder);
  const main = mostPrecise(folder);
  const precisions = role === 'student' ? imagePrecisions(folder) : [main];
  const request = (precision: string, seed: number) => ({
    ...ImageGenerationRequestSchema.parse({ prompt: 'a smiling cat face', steps, seed, previewEvery: 0, ep: options.ep, precision }),
    model: folder.dir,
  });
  let peer: PytorchUnetPeer | null = null;
  try {
    const folded = new Map<string, boolean>();
    let threads = 1;
    let cfg: ImageResult['cfg'] = 'none';
    for (const precision of precisions) {
      const prepared = await generator.prepare(request(precision, 1));
      folded.set(precision, prepared.unetFull.foldedWeightDequantize);
      if (precision === main) ({ threads } = prepared.unetFull);
      cfg = prepared.cfg;
      await generator.run(prepared);
    }
    const threadCounts = [...new Set([threads, defaultThreadCount()])];
    // Students also run on every core, in sessions of their own; the teacher's minute-long images only at the engine's count.
    const others = new Map(role === 'student' ? threadCounts.filter((count) => count !== threads).map((count) => [count, new ImageGenerator(folder, pool, { threads: count })]) : []);
    for (const other of others.values()) await other.generate(request(main, 1));
    const weights = torchWeights(folder, role, options.recipeDir);
    const script = path.join(options.recipeDir, 'image', 'bench_torch_unet.py');
    try {
      // The same batch as the engine's UNet call: a guidance-distilled student runs batch 1, guided CFG batch 2.
      peer = await PytorchUnetPeer.start(script, weights, cfg === 'none' ? 1 : 2);
    } catch (error) {
      skipped[`pytorch ${role}`] = (error as Error).message;
    }
    const results = new Map<string, ImageResult[]>(precisions.map((precision) => [precision, []]));
    const engineSteps = new Map<number, number[]>([...others.keys()].map((count) => [count, []]));
    const pytorch = new Map<number, number[]>(threadCounts.map((count) => [count, []]));
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      const seed = repeat + 2;
      const round: (() => Promise<void>)[] = [
        ...precisions.map((precision) => async () => {
          const [image] = await generator.generate(request(precision, seed));
          results.get(precision)!.push(image!);
        }),
        ...[...others].map(([count, other]) => async () => {
          const [image] = await other.generate(request(main, seed));
          engineSteps.get(count)!.push(image!.metrics.msPerStep!);
        }),
        ...(peer ? threadCounts : []).map((count) => async () => {
          pytorch.get(count)!.push(...(await peer!.time(PYTORCH_RUNS_PER_ROUND, count)));
        }),
      ];
      // Each round starts one later: on a loaded machine whatever runs first after a wait gets the CPU soonest.
      for (let k = 0; k < round.length; k++) await round[(k + repeat) % round.length]!();
    }
    const timings = Object.fromEntries(precisions.map((precision) => [precision, summarise(results.get(precision)!, folded.get(precision)!)]));
    const byThreads: RoleTiming['byThreads'] = {};
    for (const count of peer ? threadCounts : []) {
      const engine = count === threads ? timings[main]!.msPerStepMedian : engineSteps.has(count) ? median(engineSteps.get(count)!) : undefined;
      byThreads[String(count)] = { ...(engine === undefined ? {} : { engineMsPerStep: engine }), pytorchMsPerStep: median(pytorch.get(count)!) };
    }
    return {
      model: folder.name,
      steps,
      precision: main,
      ...timings[main]!,
      threads,
      pytorchMsPerStepMedian: byThreads[String(threads)]?.pytorchMsPerStep ?? null,
      byThreads,
      pytorchWeights: path.relative(process.cwd(), weights),
      precisions: role === 'student' ? timings : {},
    };
  } finally {
    peer?.close();
    await pool.closeAll();
  }
}

/**
 * Teacher at its steps against student at its steps, whole images, and each UNet step against PyTorch eager on the
 * same weights at the engine's batch and threads (and, for the student, both sides on every core too).
 */
export async function benchImage(options: ImageBenchOptions): Promise<ImageBenchReport> {
  const { teacher, student } = familyRoles(options.modelsDir);
  const skipped: Record<string, string> = {};
  const start = os.loadavg();
  const teacherTiming = await timeRole(teacher, 'teacher', options, skipped);
  const studentTiming = await timeRole(student, 'student', options, skipped);
  const { msPerStepMedian, pytorchMsPerStepMedian, byThreads } = studentTiming;
  const vsPytorchEagerByThreads = Object.fromEntries(
    Object.entries(byThreads).flatMap(([count, timing]) => (timing.engineMsPerStep === undefined ? [] : [[count, timing.pytorchMsPerStep / timing.engineMsPerStep]])),
  );
  return {
    ep: options.ep,
    repeats: options.repeats,
    loadAverage: { start, end: os.loadavg() },
    teacher: teacherTiming,
    student: studentTiming,
    ratios: {
      ...(pytorchMsPerStepMedian === null ? {} : { vsPytorchEager: pytorchMsPerStepMedian / msPerStepMedian }),
      vsPytorchEagerByThreads,
      teacherVsStudentPerImage: teacherTiming.sPerImageMedian / studentTiming.sPerImageMedian,
    },
    skipped,
  };
}
