import path from 'node:path';
import { TextGenerationRequestSchema, type ExecutionProvider } from '../contract';
import { SessionPool } from '../engine/onnx/session-pool';
import { DecoderSession } from '../engine/text/decoder-session';
import type { DecoderGraph } from '../engine/text/fused/fused-decoder';
import { findOperatingPoint, loadTextModelFolder } from '../engine/text/model-folder';
import { TextGenerator } from '../engine/text/text-generator';
import { createEnergyMeter } from '../energy';
import { DEFAULT_INTERVAL_MS } from '../energy/energy-meter';
import { sampleCostMicros } from '../energy/sample-cost';
import type { EnergyStatus } from '../contract';
import { median } from '../metering/statistics';
import { withColdStart, type ColdStart } from './cold-start';
import { timePytorchEager } from './peers/pytorch-eager';
import { loadTransformersJs, type TransformersJsPeer } from './peers/transformers-js';
import { syntheticBenchModel } from './synthetic-model';
import type { TextPeer } from './text-peers';

/** `meter`: the engine again with the energy meter sampling, to measure what the meter costs. */

export interface TextBenchOptions {
  modelDir: string;
  /** The same weights as safetensors, for the PyTorch peer. */
  safetensorsDir: string | null;
  prompt: string;
  newTokens: number;
  repeats: number;
  ep: ExecutionProvider;
  peers: readonly TextPeer[];
}

interface PeerTiming {
  msPerTokenMedian: number;
  msPerToken: number[];
  /** Whether the peer produced the same greedy tokens as the engine. */
  sameTokens?: boolean;
  threads?: number;
  /** For the int8 peer: the same synthetic model at fp32. */
  fp32MsPerTokenMedian?: number;
  fp32MsPerToken?: number[];
}

export interface TextBenchReport {
  model: string;
  prompt: string;
  promptTokens: number;
  newTokens: number;
  repeats: number;
  /** The precision the engine ran (the folder's default operating point). */
  precision: string;
  ep: ExecutionProvider;
  /** The graph the engine ran: the fused rewrite, or the export and why. */
  graph: DecoderGraph;
  engine: PeerTiming & { ttftMsMedian: number };
  peers: Partial<Record<TextPeer, PeerTiming>>;
  ratios: Partial<Record<'overheadVsBareRun' | 'vsBareExportRun' | 'vsTransformersJs' | 'vsPytorchEager' | 'int8VsFp32' | 'meterOnVsOff', number>>;
  /**
   * The energy meter's source and its own cost: the time its samples held the thread during the metered runs,
   * and one sample's CPU measured alone, as a share of a core at the meter's sampling rate.
   */
  meter?: EnergyStatus['overhead'] & { source: string; cpuMicrosPerSample: number; percentOfCoreAtRate: number };
  coldStart?: ColdStart;
  skipped: Partial<Record<TextPeer | 'coldStart', string>>;
}

/** Pause before each contestant's run in the interleaved rounds. */
const SETTLE_MS = 50;

function timing(msPerToken: number[], sameTokens?: boolean): PeerTiming {
  return { msPerTokenMedian: median(msPerToken), msPerToken, ...(sameTokens === undefined ? {} : { sameTokens }) };
}

const sameIds = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((id, i) => id === b[i]);

/**
 * Times `session.run` alone over the same tokens the engine produced: every feed is built before
 * the clock starts, and each step only chains the present key/values into the next past.
 */
async function timeBareRun(decoder: DecoderSession, promptIds: readonly number[], generatedIds: readonly number[]): Promise<number> {
  const steps = [promptIds, ...generatedIds.slice(0, -1).map((id) => [id])];
  let pastLength = 0;
  const feeds = steps.map((ids) => {
    const built = { feeds: decoder.tokenFeeds(ids, pastLength), count: ids.length };
    pastLength += ids.length;
    return built;
  });
  let cache = decoder.emptyCache();
  let firstAt = 0;
  for (const [index, step] of feeds.entries()) {
    cache = (await decoder.run(step.feeds, cache, step.count)).cache;
    if (index === 0) firstAt = performance.now();
  }
  return (performance.now() - firstAt) / (feeds.length - 1);
}

function fixedLengthRequest(modelDir: string, options: TextBenchOptions, precision?: string) {
  return TextGenerationRequestSchema.parse({
    model: modelDir,
    prompt: options.prompt,
    maxNewTokens: options.newTokens,
    minNewTokens: options.newTokens,
    doSample: false,
    precision,
    ep: options.ep,
  });
}

/** fp32 against int8 through the engine, on a synthetic model big enough for weights to dominate. */
async function benchInt8(options: TextBenchOptions): Promise<{ fp32: number[]; int8: number[] }> {
  const pool = new SessionPool<DecoderSession>(Infinity);
  const dir = syntheticBenchModel();
  const generator = new TextGenerator(loadTextModelFolder(dir), pool);
  try {
    const times = { fp32: [] as number[], int8: [] as number[] };
    for (const precision of ['fp32', 'int8'] as const) await generator.generate(fixedLengthRequest(dir, { ...options, newTokens: 16 }, precision));
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (const precision of ['fp32', 'int8'] as const) {
        times[precision].push((await generator.generate(fixedLengthRequest(dir, options, precision))).metrics.msPerToken!);
      }
    }
    return times;
  } finally {
    await pool.closeAll();
  }
}

/**
 * The engine against its peers on one model, warm; then, once every session of the bench is closed, time to the
 * first token from a cold process at the precision it ran, first load against second.
 */
export async function benchText(options: TextBenchOptions): Promise<TextBenchReport> {
  const report = await benchWarm(options);
  return withColdStart(report, options.modelDir, report.precision);
}

/**
 * The engine against its peers on one model and one greedy token sequence, measured in one run.
 * The in-process peers are interleaved round by round, in an order that rotates, so a busy moment on
 * the machine or a neighbour's after-effects cost each of them alike; PyTorch runs in its own process after them.
 */
async function benchWarm(options: TextBenchOptions): Promise<TextBenchReport> {
  const folder = loadTextModelFolder(options.modelDir);
  const pool = new SessionPool<DecoderSession>(Infinity);
  const generator = new TextGenerator(folder, pool);
  const request = fixedLengthRequest(folder.dir, options);
  const report: TextBenchReport = {
    model: path.basename(folder.dir),
    prompt: options.prompt,
    promptTokens: 0,
    newTokens: options.newTokens,
    repeats: options.repeats,
    precision: '',
    ep: options.ep,
    graph: { kind: 'export', reason: 'not run' },
    engine: { msPerTokenMedian: 0, msPerToken: [], ttftMsMedian: 0 },
    peers: {},
    ratios: {},
    skipped: {},
  };
  const attempt = async (peer: TextPeer, run: () => Promise<void> | void) => {
    if (!options.peers.includes(peer)) return;
    try {
      await run();
    } catch (error) {
      report.skipped[peer] = (error as Error).message;
    }
  };
  let exported: DecoderSession | null = null;
  let transformersJs: TransformersJsPeer | null = null;
  try {
    const warmRun = await generator.prepare(request);
    const decoder = warmRun.primary;
    const warm = await generator.run(warmRun);
    report.promptTokens = warm.promptIds.length;
    report.precision = decoder.precision;
    report.ep = decoder.ep;
    report.graph = decoder.graph;
    if (options.peers.includes('bareExport')) exported = await DecoderSession.open(folder, findOperatingPoint(folder, decoder.precision), options.ep, { fuseGraph: false });
    await attempt('transformersJs', async () => {
      transformersJs = await loadTransformersJs(folder.dir, warm.promptIds);
      await transformersJs.once(Math.min(16, options.newTokens));
    });

    const times = { engine: [] as number[], ttft: [] as number[], bare: [] as number[], bareExport: [] as number[], transformersJs: [] as number[], meter: [] as number[] };
    const meter = createEnergyMeter();
    let meterSource = '';
    let peerIds: number[] = [];
    const round: (() => Promise<void>)[] = [
      async () => {
        const result = await generator.generate(request);
        times.engine.push(result.metrics.msPerToken!);
        times.ttft.push(result.metrics.ttftMs!);
      },
    ];
    if (options.peers.includes('meter')) {
      round.push(async () => {
        const energy = await meter.startRun();
        times.meter.push((await generator.generate(request)).metrics.msPerToken!);
        meterSource = (await energy.finish()).source;
      });
    }
    if (options.peers.includes('bare')) round.push(async () => void times.bare.push(await timeBareRun(decoder, warm.promptIds, warm.generatedIds)));
    if (exported) round.push(async () => void times.bareExport.push(await timeBareRun(exported!, warm.promptIds, warm.generatedIds)));
    const peer = transformersJs as TransformersJsPeer | null;
    if (peer) {
      round.push(async () => {
        const run = await peer.once(options.newTokens);
        times.transformersJs.push(run.ms);
        peerIds = run.generatedIds;
      });
    }
    // Each round starts with the next contestant, so none always runs right after the same one, and a short
    // pause lets the previous one's threads go idle (transformers.js's onnxruntime spins its workers after a run).
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (let i = 0; i < round.length; i++) {
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        await round[(repeat + i) % round.length]!();
      }
    }
    report.engine = { ...timing(times.engine), ttftMsMedian: median(times.ttft) };
    const ours = report.engine.msPerTokenMedian;
    if (times.bare.length) {
      report.peers.bare = timing(times.bare);
      report.ratios.overheadVsBareRun = ours / median(times.bare);
    }
    if (times.bareExport.length) {
      report.peers.bareExport = timing(times.bareExport);
      report.ratios.vsBareExportRun = median(times.bareExport) / ours;
    }
    if (times.meter.length) {
      report.peers.meter = timing(times.meter);
      report.ratios.meterOnVsOff = median(times.meter) / ours;
      const duringRuns = meter.overhead();
      const cpuMicrosPerSample = await sampleCostMicros(meter);
      report.meter = { ...duringRuns, source: meterSource, cpuMicrosPerSample, percentOfCoreAtRate: (cpuMicrosPerSample / 1000 / DEFAULT_INTERVAL_MS) * 100 };
    }
    if (times.transformersJs.length) {
      report.peers.transformersJs = timing(times.transformersJs, sameIds(peerIds, warm.generatedIds));
      report.ratios.vsTransformersJs = median(times.transformersJs) / ours;
    }
    await attempt('pytorchEager', () => {
      if (!options.safetensorsDir) throw new Error('no safetensors copy of the model was given (--safetensors DIR)');
      const peer = timePytorchEager(options.safetensorsDir, warm.promptIds, options.newTokens, options.repeats, folder.config.eosTokenIds);
      report.peers.pytorchEager = { ...timing(peer.msPerToken, sameIds(peer.generatedIds, warm.generatedIds)), threads: peer.threads };
      report.ratios.vsPytorchEager = median(peer.msPerToken) / ours;
    });
    await attempt('int8', async () => {
      const int8 = await benchInt8(options);
      report.peers.int8 = { ...timing(int8.int8), fp32MsPerTokenMedian: median(int8.fp32), fp32MsPerToken: int8.fp32 };
      report.ratios.int8VsFp32 = median(int8.fp32) / median(int8.int8);
    });
    return report;
  } finally {
    await (transformersJs as TransformersJsPeer | null)?.dispose();
    await exported?.release();
    await pool.closeAll();
  }
}
