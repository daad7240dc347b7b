import fs from 'node:fs';
import path from 'node:path';
import { ApiError, type ExecutionProvider } from '../../contract';
import { halfArrayToFloat } from '../onnx/float16';
import { openSession, type SessionTuning } from '../onnx/open-session';
import { needsSerialRuns } from '../onnx/providers';
import { boolTensor, float32Tensor, int32Tensor, int64Tensor, type OrtSession, type Tensor, type TensorMap } from '../onnx/runtime';
import { appendingExport, fuseDecoderGraph, rewriteBlocker, UnfusableGraph, type DecoderGraph } from './fused/fused-decoder';
import { probeDisagreement, recordProbe } from './fused/rewrite-probe';
import type { DecoderStep } from './decoder-step';
import { cachedRewrite, forgetRewrite, storeRewrite } from './fused/rewrite-cache';
import { emptyKvCache, exactKvCache, exactLength, extended, withRoomFor, writePositions, type KvCache } from './kv-cache';
import { kvLayer, kvName, type KvNameTemplates } from './kv-names';
import type { DecoderConfig, TextModelFolder, OperatingPointFile } from './model-folder';

export interface KvSlot {
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
}

/** What the graph itself says about its inputs and outputs: the engine detects, it does not guess. */
export interface DecoderLayout {
  slots: KvSlot[];
  hasPositionIds: boolean;
  hasAttentionMask: boolean;
  /** Merged decoders (Optimum) switch between their prefill and cached branches on this input. */
  hasUseCacheBranch: boolean;
  /** Graphs on GroupQueryAttention take the cache's fill instead of a mask (`seqlens_k`, `total_sequence_length`). */
  hasSequenceLengths: boolean;
  /** An additive mask input: the fused graph of a model trained on local + global attention. */
  hasAttentionBias: boolean;
  idTypes: Record<IdInput, 'int64' | 'int32'>;
  kvType: 'float32' | 'float16';
  kvHeads: number;
  headDim: number;
}

/** The integer inputs a graph may declare as int64 or int32; each is fed as its graph declares it. */
const ID_INPUTS = ['input_ids', 'attention_mask', 'position_ids'] as const;
export type IdInput = (typeof ID_INPUTS)[number];

/** The cache slots a graph takes, in layer order, under the folder's cache names (the first layer may be other than 0). */
export function kvSlots(inputNames: readonly string[], outputNames: readonly string[], names: KvNameTemplates, file: string): KvSlot[] {
  const outputs = new Set(outputNames);
  const layers = inputNames.map((name) => kvLayer(names.pastKey, name)).filter((layer): layer is number => layer !== null).sort((a, b) => a - b);
  return layers.map((layer) => {
    const slot = {
      pastKey: kvName(names.pastKey, layer),
      pastValue: kvName(names.pastValue, layer),
      presentKey: kvName(names.presentKey, layer),
      presentValue: kvName(names.presentValue, layer),
    };
    if (!inputNames.includes(slot.pastValue)) throw new ApiError('invalid_model', `${file} takes ${slot.pastKey} but not ${slot.pastValue}.`);
    if (!outputs.has(slot.presentKey) || !outputs.has(slot.presentValue)) {
      throw new ApiError('invalid_model', `${file} takes ${slot.pastKey} but does not return ${slot.presentKey} and ${slot.presentValue}.`);
    }
    return slot;
  });
}

function detectLayout(session: OrtSession, folder: TextModelFolder, file: string): DecoderLayout {
  const inputs = new Set(session.inputNames);
  if (!inputs.has('input_ids') || !session.outputNames.includes('logits')) {
    throw new ApiError(
      'invalid_model',
      `${file} is not a text decoder: it needs input 'input_ids' and output 'logits' (it has inputs ${session.inputNames.join(', ')}).`,
    );
  }
  const slots = kvSlots(session.inputNames, session.outputNames, folder.kvNames, file);
  if (slots.length === 0) throw new ApiError('invalid_model', `${file} has no ${kvName(folder.kvNames.pastKey, 0)} inputs: the engine needs a decoder exported with its KV cache.`);

  const metadata = (name: string) => session.inputMetadata.find((meta) => meta.name === name);
  const keyMeta = metadata(slots[0]!.pastKey);
  const shape = keyMeta?.isTensor ? keyMeta.shape : [];
  const fixed = (value: unknown, fallback: number) => (typeof value === 'number' && value > 0 ? value : fallback);
  const idType = (name: IdInput) => {
    const meta = metadata(name);
    return meta?.isTensor && meta.type === 'int32' ? 'int32' : 'int64';
  };
  return {
    slots,
    hasPositionIds: inputs.has('position_ids'),
    hasAttentionMask: inputs.has('attention_mask'),
    hasUseCacheBranch: inputs.has('use_cache_branch'),
    hasSequenceLengths: inputs.has('seqlens_k') && inputs.has('total_sequence_length'),
    hasAttentionBias: inputs.has('attention_bias'),
    idTypes: Object.fromEntries(ID_INPUTS.map((name) => [name, idType(name)])) as DecoderLayout['idTypes'],
    kvType: keyMeta?.isTensor && keyMeta.type === 'float16' ? 'float16' : 'float32',
    kvHeads: fixed(shape[1], folder.config.numKvHeads),
    headDim: fixed(shape[3], folder.config.headDim),
  };
}

/** Integer ids as the tensor type the graph declares for that input. */
function idTensor(type: 'int64' | 'int32', values: ArrayLike<number>, dims: readonly number[]): Tensor {
  return type === 'int32' ? int32Tensor(Int32Array.from(values), dims) : int64Tensor(BigInt64Array.from(values, (v) => BigInt(v)), dims);
}

function positionRange(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}

/**
 * The additive mask of local + global attention over cache positions, as the studio's recipe trains and
 * exports it: query q sees key k ≤ q when q − k < window or k < sinks.
 */
export function localGlobalBias(pastLength: number, count: number, attention: { window: number; sinks: number }): Float32Array {
  const total = pastLength + count;
  const bias = new Float32Array(count * total);
  for (let row = 0; row < count; row++) {
    const query = pastLength + row;
    for (let key = 0; key < total; key++) {
      const seen = key <= query && (query - key < attention.window || key < attention.sinks);
      if (!seen) bias[row * total + key] = MASKED;
    }
  }
  return bias;
}

/** The recipe's export adds this where attention is masked; the same value keeps the two graphs' logits alike. */
const MASKED = -1e9;

/** Logits of the last position as float32, whatever precision the graph returns them in. */
function lastRow(logits: Tensor): Float32Array {
  const vocab = Number(logits.dims.at(-1));
  if (logits.type === 'float32') {
    const data = logits.data as Float32Array;
    return data.subarray(data.length - vocab);
  }
  if (logits.type === 'float16') {
    const data = logits.data as Uint16Array;
    return halfArrayToFloat(data.subarray(data.length - vocab));
  }
  throw new ApiError('invalid_model', `logits are ${logits.type}; the engine reads float32 or float16 logits.`);
}

/** The inputs of a one-token step of a fused graph (all fixed-shape), filled in place for each step. */
class OneTokenFeeds {
  private readonly id = new BigInt64Array(1);
  private readonly position = new BigInt64Array(1);
  private readonly seqlens = new Int32Array(1);
  private readonly total = new Int32Array(1);
  private readonly tensors: TensorMap = {
    input_ids: int64Tensor(this.id, [1, 1]),
    position_ids: int64Tensor(this.position, [1, 1]),
    seqlens_k: int32Tensor(this.seqlens, [1]),
    total_sequence_length: int32Tensor(this.total, []),
  };

  fill(id: number, position: number, total: number): TensorMap {
    this.id[0] = BigInt(id);
    this.position[0] = BigInt(position);
    this.seqlens[0] = total - 1;
    this.total[0] = total;
    return this.tensors;
  }
}

/** One ONNX decoder file: runs forward steps over a KV cache and returns the last position's logits. */
export class DecoderSession implements DecoderStep {
  /** The tail of this session's runs, for providers that must not run two at once. */
  private lastRun: Promise<unknown> = Promise.resolve();
  /** Fused graphs' decode-step inputs, rewritten in place so that a decode loop allocates none of its own. */
  private readonly oneTokenFeeds: OneTokenFeeds | null;
  private oneTokenFeedsBusy = false;
  /** Rewritten graphs read a cache with room to spare and return only the positions a step adds, which are written into it. */
  private readonly appendsToCache: boolean;

  private constructor(
    private readonly session: OrtSession,
    readonly layout: DecoderLayout,
    readonly point: OperatingPointFile,
    readonly ep: ExecutionProvider,
    readonly fallbackReason: string | null,
    readonly graph: DecoderGraph,
    private readonly trainedAttention: DecoderConfig['trainedAttention'] = null,
  ) {
    const fixedShape = layout.hasSequenceLengths && layout.hasPositionIds && !layout.hasAttentionMask && !layout.hasAttentionBias && !layout.hasUseCacheBranch;
    this.oneTokenFeeds = fixedShape ? new OneTokenFeeds() : null;
    this.appendsToCache = graph.kind !== 'export';
  }

  /** A decoder's workers spin between kernels unless `tuning.spinWorkers` is false (it takes turns with another session). */
  static async open(folder: TextModelFolder, point: OperatingPointFile, ep: ExecutionProvider, sessionTuning: SessionTuning = {}): Promise<DecoderSession> {
    const tuning = { spinWorkers: true, ...sessionTuning };
    const stored = tuning.fuseGraph !== false && ep === 'cpu' ? await DecoderSession.openStoredRewrite(folder, point, tuning) : null;
    if (stored) return stored;
    const displayName = `onnx/${path.basename(point.path)}`;
    const opened = await openSession(point.path, { ep, displayName, ...tuning });
    let exported: DecoderSession;
    try {
      exported = new DecoderSession(opened.session, detectLayout(opened.session, folder, displayName), point, opened.ep, opened.fallbackReason, {
        kind: 'export',
        reason: 'not tried',
      });
    } catch (error) {
      await opened.session.release();
      throw error;
    }
    if (tuning.fuseGraph === false) return exported.runningExport('fusion is turned off');
    if (opened.ep !== 'cpu') return exported.runningExport(`the fused kernels are used on the CPU provider only`);
    return exported.fused(folder, tuning);
  }

  /** The stored rewrite of this export, or null when there is none or it does not open (it is then dropped, and rewritten). */
  private static async openStoredRewrite(folder: TextModelFolder, point: OperatingPointFile, tuning: SessionTuning): Promise<DecoderSession | null> {
    const cached = cachedRewrite(point.path, folder.config);
    if (!cached) return null;
    const displayName = `the stored ${cached.graph.kind} rewrite of onnx/${path.basename(point.path)}`;
    let opened: Awaited<ReturnType<typeof openSession>> | null = null;
    try {
      // A rewrite that reads the export's external data opens from its bytes, with the export's folder to find that data in.
      opened = cached.selfContained
        ? await openSession(cached.model, { ep: 'cpu', displayName, ...tuning })
        : await openSession(point.path, { ep: 'cpu', displayName, bytes: fs.readFileSync(cached.model), ...tuning });
      return new DecoderSession(opened.session, detectLayout(opened.session, folder, `the ${cached.graph.kind} graph`), point, 'cpu', null, cached.graph, folder.config.trainedAttention);
    } catch (error) {
      await opened?.session.release();
      console.warn(`[engine/text] ${String((error as Error).message).split('\n')[0]!.replace(/\.$/, '')}; rewriting it.`);
      forgetRewrite(point.path, folder.config);
      return null;
    }
  }

  private runningExport(reason: string): DecoderSession {
    return new DecoderSession(this.session, this.layout, this.point, this.ep, this.fallbackReason, { kind: 'export', reason });
  }

  /** The fused rewrite of this export, or where there is none the export cut to the positions each step adds, or null saying why neither. */
  private rewrite(folder: TextModelFolder): { bytes: Uint8Array; graph: DecoderGraph } | { reason: string } {
    try {
      return fuseDecoderGraph(this.point.path, folder.config);
    } catch (error) {
      const reason = error instanceof UnfusableGraph ? error.message : `the graph could not be rewritten (${String((error as Error).message).split('\n')[0]})`;
      return appendingExport(this.point.path, reason) ?? { reason };
    }
  }

  /**
   * The fused (or appending) rewrite of this export, when the model is one it reproduces and a probe run gives
   * the export's logits; otherwise this export, saying why. The export's logits for the probe are recorded first
   * and its session let go before the rewrite is built and opened, so the two never hold the weights at once
   * (the 0.5B shape's first load peaked at 3.5 GB with both); a rewrite that fails opens the export again.
   */
  private async fused(folder: TextModelFolder, tuning: SessionTuning): Promise<DecoderSession> {
    const blocker = rewriteBlocker(this.point.path, folder.config);
    if (blocker) return this.runningExport(blocker);
    const trace = await recordProbe(this, this.point.path, folder.config.vocabSize, folder.config.bosTokenId ?? 0);
    await this.release();
    const rewrite = this.rewrite(folder);
    if ('reason' in rewrite) return this.reopened(rewrite.reason, tuning);
    let fused: DecoderSession | null = null;
    try {
      const opened = await openSession(this.point.path, { ep: 'cpu', displayName: `${rewrite.graph.kind} onnx/${path.basename(this.point.path)}`, bytes: rewrite.bytes, ...tuning });
      const layout = detectLayout(opened.session, folder, `the ${rewrite.graph.kind} graph`);
      fused = new DecoderSession(opened.session, layout, this.point, this.ep, this.fallbackReason, rewrite.graph, folder.config.trainedAttention);
      const disagreement = await probeDisagreement(trace, fused);
      if (disagreement === null) {
        storeRewrite(this.point.path, folder.config, rewrite.bytes, rewrite.graph);
        return fused;
      }
      await fused.release();
      return this.reopened(disagreement, tuning);
    } catch (error) {
      await fused?.release();
      return this.reopened(`the fused graph did not run (${String((error as Error).message).split('\n')[0]})`, tuning);
    }
  }

  /** This export opened again, after its session was let go for a rewrite that could not be used. */
  private async reopened(reason: string, tuning: SessionTuning): Promise<DecoderSession> {
    const opened = await openSession(this.point.path, { ep: 'cpu', displayName: `onnx/${path.basename(this.point.path)}`, ...tuning });
    return new DecoderSession(opened.session, this.layout, this.point, this.ep, this.fallbackReason, { kind: 'export', reason });
  }

  get precision(): string {
    return this.point.precision;
  }

  emptyCache(): KvCache {
    const { slots, kvType, kvHeads, headDim } = this.layout;
    return emptyKvCache(slots.flatMap((slot) => [slot.pastKey, slot.pastValue]), kvType, kvHeads, headDim);
  }

  /**
   * The inputs other than the cache for running `ids` after `pastLength` cached positions.
   * `positionOffset` counts positions evicted from the cache, so RoPE positions stay absolute.
   */
  tokenFeeds(ids: readonly number[], pastLength: number, positionOffset = 0): TensorMap {
    const count = ids.length;
    const total = pastLength + count;
    const { idTypes } = this.layout;
    const feeds: TensorMap = { input_ids: idTensor(idTypes.input_ids, ids, [1, count]) };
    if (this.layout.hasAttentionMask) feeds.attention_mask = idTensor(idTypes.attention_mask, new Array<number>(total).fill(1), [1, total]);
    if (this.layout.hasPositionIds) feeds.position_ids = idTensor(idTypes.position_ids, positionRange(pastLength + positionOffset, count), [1, count]);
    if (this.layout.hasUseCacheBranch) feeds.use_cache_branch = boolTensor([pastLength > 0], [1]);
    if (this.layout.hasSequenceLengths) {
      feeds.seqlens_k = int32Tensor(Int32Array.of(total - 1), [1]);
      feeds.total_sequence_length = int32Tensor(Int32Array.of(total), []);
    }
    if (this.layout.hasAttentionBias) {
      if (!this.trainedAttention) throw new ApiError('invalid_model', `${this.point.path} takes an attention_bias but its config.json declares no pareto_attention.`);
      feeds.attention_bias = float32Tensor(localGlobalBias(pastLength, count, this.trainedAttention), [1, 1, count, total]);
    }
    return feeds;
  }

  /** One bare `session.run`: the present outputs become the next cache, or (fused graphs) are appended to this one's tensors. */
  async run(feeds: TensorMap, cache: KvCache, count: number): Promise<{ outputs: TensorMap; cache: KvCache }> {
    const past = this.appendsToCache ? withRoomFor(cache, count) : exactLength(cache);
    // Marked written before the run starts, so that a second step from `cache` in flight meanwhile copies it.
    const next = this.appendsToCache ? extended(past, count) : null;
    const inputs = { ...past.tensors, ...feeds };
    let outputs: TensorMap;
    if (needsSerialRuns(this.ep)) {
      const running = this.lastRun.then(() => this.session.run(inputs));
      this.lastRun = running.catch(() => undefined);
      outputs = await running;
    } else {
      outputs = await this.session.run(inputs);
    }
    const presents: TensorMap = {};
    for (const slot of this.layout.slots) {
      presents[slot.pastKey] = outputs[slot.presentKey]!;
      presents[slot.pastValue] = outputs[slot.presentValue]!;
    }
    if (!next) return { outputs, cache: exactKvCache(presents, past.length + count, past.evicted) };
    writePositions(next, past.length, presents);
    return { outputs, cache: next };
  }

  async forward(ids: readonly number[], cache: KvCache): Promise<{ logits: Float32Array; cache: KvCache }> {
    const reuse = ids.length === 1 && this.oneTokenFeeds !== null && !this.oneTokenFeedsBusy;
    const feeds = reuse ? this.oneTokenFeeds!.fill(ids[0]!, cache.length + cache.evicted, cache.length + 1) : this.tokenFeeds(ids, cache.length, cache.evicted);
    this.oneTokenFeedsBusy ||= reuse;
    try {
      const step = await this.run(feeds, cache, ids.length);
      return { logits: lastRow(step.outputs.logits!), cache: step.cache };
    } finally {
      if (reuse) this.oneTokenFeedsBusy = false;
    }
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
