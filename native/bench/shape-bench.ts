import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { TextGenerationRequestSchema, type ExecutionProvider } from '../contract';
import { readGraphSummary } from '../engine/onnx/graph-summary';
import { SessionPool } from '../engine/onnx/session-pool';
import { weightBytesPerToken } from '../engine/onnx/weight-precision';
import type { DecoderSession } from '../engine/text/decoder-session';
import type { DecoderGraph } from '../engine/text/fused/fused-decoder';
import { findOperatingPoint, loadTextModelFolder, type TextModelFolder } from '../engine/text/model-folder';
import { TextGenerator } from '../engine/text/text-generator';
import { median } from '../metering/statistics';
import { withColdStart, type ColdStart } from './cold-start';
import { defaultThreadCount } from '../engine/onnx/runtime';
import { measureInt4Kernel, type Int4KernelThroughput } from './int4-kernel';
import { cacheEvictor, measureCopyBandwidth, measureReadBandwidth } from './memory-bandwidth';
import { loadTransformersJs, type TransformersJsPeer } from './peers/transformers-js';
import { shapeModel, type ModelShape } from './synthetic-model';

/** The precisions measured, with the folder's variant each runs and transformers.js's name for the same file. */
const PRECISIONS = [
  { name: 'fp32', variant: 'fp32', transformersJsDtype: 'fp32' },
  { name: 'int8', variant: 'int8', transformersJsDtype: 'int8' },
  { name: 'int4', variant: 'q4', transformersJsDtype: 'q4' },
  { name: 'int4-accuracy0', variant: 'q4-accuracy0', transformersJsDtype: null },
] as const;
type PrecisionName = (typeof PRECISIONS)[number]['name'];

/** Longer than onnxruntime's workers spin after a run, so one contestant's spinning threads never share the cores with the next's run. */
const WORKERS_ASLEEP_MS = 100;

export interface ShapeBenchOptions {
  shape: ModelShape;
  prompt: string;
  newTokens: number;
  repeats: number;
  ep: ExecutionProvider;
  transformersJs: boolean;
}

/** What each side runs, so a ratio is read for what it is: same files, the studio's graph and session settings against the export's. */
const COMPARISON =
  'Both sides read the same ONNX file per precision. The studio runs its fused rewrite of it (the same weights, bytes and quantised kernels; ' +
  'one node per norm, attention and packed q|k|v or gate|up product) on every core, its worker threads spinning between kernels and one inter-op thread; ' +
  'transformers.js runs the file as exported with onnxruntime’s default session options. Each run starts after the last one’s workers have gone to sleep and with the weights out of the CPU caches. studioExport is the studio on the file as exported, with its own ' +
  'session options: fusedVsExport is what the rewrite adds, vsTransformersJs the rewrite and the session options together. Where a row says "export", the studio ran the file as exported.';

interface PrecisionResult {
  file: string;
  graph: DecoderGraph;
  weightBytesPerToken: number;
  studio: { msPerTokenMedian: number; msPerToken: number[] };
  /** The studio on the file as exported (no rewrite), where it otherwise runs the rewrite. */
  studioExport?: { msPerTokenMedian: number; msPerToken: number[] };
  transformersJs?: { msPerTokenMedian: number; msPerToken: number[]; sameTokens: boolean };
  /** The time reading the weights once takes at the measured copy bandwidth, over the measured ms/token. */
  rooflineFraction: number;
  /** The same against the read bandwidth of all cores at once: the ceiling of a decode that reads its weights on every core. */
  readRooflineFraction: number;
  /** int4 at accuracy level 4 only: the same against onnxruntime's int4 kernel alone (`int4Kernel`), the ceiling where that kernel is slower than the memory. */
  kernelRooflineFraction?: number;
}

export interface ShapeBenchReport {
  shape: ModelShape;
  comparison: string;
  model: string;
  promptTokens: number;
  newTokens: number;
  repeats: number;
  ep: ExecutionProvider;
  memoryBandwidth: { gbPerSecond: number; copyMegabytes: number; readGbPerSecond: number; readThreads: number };
  /** onnxruntime's int4 kernel alone on the shape's LM head (its largest product), from emptied caches. */
  int4Kernel: Int4KernelThroughput;
  precisions: Partial<Record<PrecisionName, PrecisionResult>>;
  ratios: { vsTransformersJs: Partial<Record<PrecisionName, number>>; fusedVsExport: Partial<Record<PrecisionName, number>>; int4VsFp32?: number; int4AccuracyLevel4VsDefault?: number };
  /** Time to the first token of the int4 variant from a cold process: first load (rewrite, probe, store) against second (the stored rewrite). */
  coldStart?: ColdStart;
  skipped: Record<string, string>;
}

/** The folder with its int4 variant at the default accuracy level offered as one more precision. */
function withDefaultAccuracyInt4(folder: TextModelFolder): TextModelFolder {
  const q4 = findOperatingPoint(folder, 'q4');
  return { ...folder, points: [...folder.points, { ...q4, precision: 'q4-accuracy0', path: q4.path.replace(/model_q4\.onnx$/, 'model_q4_accuracy0.onnx') }] };
}

interface Contestant {
  label: string;
  run: () => Promise<{ ms: number; ids: number[] }>;
}

/**
 * The studio against transformers.js on random-weight decoders with a real model's shape, each precision on the
 * same files, interleaved round by round in a rotating order; and how close each comes to reading its weights once
 * per token at the copy bandwidth measured in the same run. Then, once every session of the bench is closed (its
 * peers' workers would take the cores from the child), time to the first int4 token from a cold process.
 */
export async function benchShape(options: ShapeBenchOptions): Promise<ShapeBenchReport> {
  return withColdStart(await benchShapeWarm(options), shapeModel(options.shape), 'q4');
}

async function benchShapeWarm(options: ShapeBenchOptions): Promise<ShapeBenchReport> {
  const folder = withDefaultAccuracyInt4(loadTextModelFolder(shapeModel(options.shape)));
  const pool = new SessionPool<DecoderSession>(Infinity);
  const generator = new TextGenerator(folder, pool);
  const exportGenerator = new TextGenerator(folder, pool, { fuseGraph: false });
  const request = (variant: string) =>
    TextGenerationRequestSchema.parse({ model: folder.dir, prompt: options.prompt, maxNewTokens: options.newTokens, minNewTokens: options.newTokens, doSample: false, precision: variant, ep: options.ep });
  const studioRun = (runner: TextGenerator, variant: string) => async () => {
    const result = await runner.generate(request(variant));
    return { ms: result.metrics.msPerToken!, ids: result.generatedIds };
  };
  const bandwidth = measureCopyBandwidth();
  const read = await measureReadBandwidth(defaultThreadCount());
  const evictCaches = cacheEvictor();
  const int4Kernel = await measureInt4Kernel(folder.config.vocabSize, folder.config.hiddenSize, defaultThreadCount(), evictCaches);
  const report: ShapeBenchReport = {
    shape: options.shape,
    comparison: COMPARISON,
    model: path.basename(folder.dir),
    promptTokens: 0,
    newTokens: options.newTokens,
    repeats: options.repeats,
    ep: options.ep,
    memoryBandwidth: { gbPerSecond: bandwidth.bytesPerSecond / 1e9, copyMegabytes: bandwidth.megabytes, readGbPerSecond: read.bytesPerSecond / 1e9, readThreads: read.threads },
    int4Kernel,
    precisions: {},
    ratios: { vsTransformersJs: {}, fusedVsExport: {} },
    skipped: {},
  };
  const peers: TransformersJsPeer[] = [];
  try {
    const contestants: Contestant[] = [];
    const studioIds = new Map<PrecisionName, number[]>();
    for (const precision of PRECISIONS) {
      const prepared = await generator.prepare(request(precision.variant));
      const graph = prepared.primary.graph;
      const warm = await generator.run(prepared);
      report.promptTokens = warm.promptIds.length;
      studioIds.set(precision.name, warm.generatedIds);
      const file = findOperatingPoint(folder, precision.variant).path;
      report.precisions[precision.name] = { file: path.relative(folder.dir, file), graph, weightBytesPerToken: weightBytesPerToken(readGraphSummary(file)), studio: { msPerTokenMedian: 0, msPerToken: [] }, rooflineFraction: 0, readRooflineFraction: 0 };
      contestants.push({ label: `studio:${precision.name}`, run: studioRun(generator, precision.variant) });
      if (graph.kind === 'fused') {
        await exportGenerator.generate(request(precision.variant));
        contestants.push({ label: `studioExport:${precision.name}`, run: studioRun(exportGenerator, precision.variant) });
      }
      if (!options.transformersJs || !precision.transformersJsDtype) continue;
      try {
        const peer = await loadTransformersJs(folder.dir, warm.promptIds, precision.transformersJsDtype);
        peers.push(peer);
        await peer.once(Math.min(8, options.newTokens));
        contestants.push({ label: `transformersJs:${precision.name}`, run: async () => peer.once(options.newTokens).then((r) => ({ ms: r.ms, ids: r.generatedIds })) });
      } catch (error) {
        report.skipped[`transformersJs:${precision.name}`] = String((error as Error).message).split('\n')[0]!;
      }
    }
    const times = new Map<string, { ms: number[]; ids: number[] }>(contestants.map((c) => [c.label, { ms: [], ids: [] }]));
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (let i = 0; i < contestants.length; i++) {
        const contestant = contestants[(repeat + i) % contestants.length]!;
        await setTimeout(WORKERS_ASLEEP_MS);
        evictCaches();
        const { ms, ids } = await contestant.run();
        times.get(contestant.label)!.ms.push(ms);
        times.get(contestant.label)!.ids = ids;
      }
    }
    for (const precision of PRECISIONS) {
      const result = report.precisions[precision.name]!;
      const studio = times.get(`studio:${precision.name}`)!.ms;
      result.studio = { msPerTokenMedian: median(studio), msPerToken: studio };
      result.rooflineFraction = (result.weightBytesPerToken / bandwidth.bytesPerSecond) * 1000 / result.studio.msPerTokenMedian;
      result.readRooflineFraction = (result.weightBytesPerToken / read.bytesPerSecond) * 1000 / result.studio.msPerTokenMedian;
      if (precision.name === 'int4') result.kernelRooflineFraction = (result.weightBytesPerToken / (int4Kernel.gbPerSecond * 1e9)) * 1000 / result.studio.msPerTokenMedian;
      const exported = times.get(`studioExport:${precision.name}`);
      if (exported?.ms.length) {
        result.studioExport = { msPerTokenMedian: median(exported.ms), msPerToken: exported.ms };
        report.ratios.fusedVsExport[precision.name] = result.studioExport.msPerTokenMedian / result.studio.msPerTokenMedian;
      }
      const peer = times.get(`transformersJs:${precision.name}`);
      if (peer?.ms.length) {
        const ids = studioIds.get(precision.name)!;
        result.transformersJs = { msPerTokenMedian: median(peer.ms), msPerToken: peer.ms, sameTokens: peer.ids.length === ids.length && peer.ids.every((id, i) => id === ids[i]) };
        report.ratios.vsTransformersJs[precision.name] = result.transformersJs.msPerTokenMedian / result.studio.msPerTokenMedian;
      }
    }
    const ms = (name: PrecisionName) => report.precisions[name]!.studio.msPerTokenMedian;
    report.ratios.int4VsFp32 = ms('fp32') / ms('int4');
    report.ratios.int4AccuracyLevel4VsDefault = ms('int4-accuracy0') / ms('int4');
    return report;
  } finally {
    await Promise.all(peers.map((peer) => peer.dispose()));
    await pool.closeAll();
  }
}
