import path from 'node:path';
import { ApiError, type ExecutionProvider } from '../../contract';
import { halfArrayToFloat } from '../onnx/float16';
import { openSession, type SessionTuning } from '../onnx/open-session';
import { needsSerialRuns } from '../onnx/providers';
import { boolTensor, emptyTensor, int64Tensor, type OrtSession, type Tensor, type TensorMap } from '../onnx/runtime';
import type { TextModelFolder, OperatingPointFile } from './model-folder';

/** The past key/value tensors of every layer, `length` positions long, after `evicted` dropped positions. */
export interface KvCache {
  length: number;
  evicted: number;
  tensors: TensorMap;
}

/** Anything that runs decoder steps over a KV cache: one session, or a composition of them. */
export interface DecoderStep {
  emptyCache(): KvCache;
  forward(ids: readonly number[], cache: KvCache): Promise<{ logits: Float32Array; cache: KvCache }>;
}

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
  kvType: 'float32' | 'float16';
  kvHeads: number;
  headDim: number;
}

function detectLayout(session: OrtSession, folder: TextModelFolder, file: string): DecoderLayout {
  const inputs = new Set(session.inputNames);
  const outputs = new Set(session.outputNames);
  if (!inputs.has('input_ids') || !outputs.has('logits')) {
    throw new ApiError(
      'invalid_model',
      `${file} is not a text decoder: it needs input 'input_ids' and output 'logits' (it has inputs ${session.inputNames.join(', ')}).`,
    );
  }
  const slots: KvSlot[] = [];
  for (let layer = 0; inputs.has(`past_key_values.${layer}.key`); layer++) {
    const slot = {
      pastKey: `past_key_values.${layer}.key`,
      pastValue: `past_key_values.${layer}.value`,
      presentKey: `present.${layer}.key`,
      presentValue: `present.${layer}.value`,
    };
    if (!outputs.has(slot.presentKey) || !outputs.has(slot.presentValue)) {
      throw new ApiError('invalid_model', `${file} takes ${slot.pastKey} but does not return ${slot.presentKey}.`);
    }
    slots.push(slot);
  }
  if (slots.length === 0) throw new ApiError('invalid_model', `${file} has no past_key_values inputs: the engine needs a KV-cache export.`);

  const keyMeta = session.inputMetadata.find((meta) => meta.name === slots[0]!.pastKey);
  const shape = keyMeta?.isTensor ? keyMeta.shape : [];
  const fixed = (value: unknown, fallback: number) => (typeof value === 'number' && value > 0 ? value : fallback);
  return {
    slots,
    hasPositionIds: inputs.has('position_ids'),
    hasAttentionMask: inputs.has('attention_mask'),
    hasUseCacheBranch: inputs.has('use_cache_branch'),
    kvType: keyMeta?.isTensor && keyMeta.type === 'float16' ? 'float16' : 'float32',
    kvHeads: fixed(shape[1], folder.config.numKvHeads),
    headDim: fixed(shape[3], folder.config.headDim),
  };
}

function int64Range(start: number, count: number): BigInt64Array {
  const values = new BigInt64Array(count);
  for (let i = 0; i < count; i++) values[i] = BigInt(start + i);
  return values;
}

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

/** One ONNX decoder file: runs forward steps over a KV cache and returns the last position's logits. */
export class DecoderSession implements DecoderStep {
  /** The tail of this session's runs, for providers that must not run two at once. */
  private lastRun: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly session: OrtSession,
    readonly layout: DecoderLayout,
    readonly point: OperatingPointFile,
    readonly ep: ExecutionProvider,
    readonly fallbackReason: string | null,
  ) {}

  static async open(folder: TextModelFolder, point: OperatingPointFile, ep: ExecutionProvider, tuning: SessionTuning = {}): Promise<DecoderSession> {
    const displayName = `onnx/${path.basename(point.path)}`;
    const opened = await openSession(point.path, { ep, displayName, ...tuning });
    try {
      return new DecoderSession(opened.session, detectLayout(opened.session, folder, displayName), point, opened.ep, opened.fallbackReason);
    } catch (error) {
      await opened.session.release();
      throw error;
    }
  }

  get precision(): string {
    return this.point.precision;
  }

  emptyCache(): KvCache {
    const dims = [1, this.layout.kvHeads, 0, this.layout.headDim];
    const tensors: TensorMap = {};
    for (const slot of this.layout.slots) {
      tensors[slot.pastKey] = emptyTensor(this.layout.kvType, dims);
      tensors[slot.pastValue] = emptyTensor(this.layout.kvType, dims);
    }
    return { length: 0, evicted: 0, tensors };
  }

  /**
   * The inputs other than the cache for running `ids` after `pastLength` cached positions.
   * `positionOffset` counts positions evicted from the cache, so RoPE positions stay absolute.
   */
  tokenFeeds(ids: readonly number[], pastLength: number, positionOffset = 0): TensorMap {
    const count = ids.length;
    const total = pastLength + count;
    const feeds: TensorMap = { input_ids: int64Tensor(BigInt64Array.from(ids, BigInt), [1, count]) };
    if (this.layout.hasAttentionMask) feeds.attention_mask = int64Tensor(new BigInt64Array(total).fill(1n), [1, total]);
    if (this.layout.hasPositionIds) feeds.position_ids = int64Tensor(int64Range(pastLength + positionOffset, count), [1, count]);
    if (this.layout.hasUseCacheBranch) feeds.use_cache_branch = boolTensor([pastLength > 0], [1]);
    return feeds;
  }

  /** One bare `session.run`: the outputs' present tensors become the next cache, nothing else is done. */
  async run(feeds: TensorMap, cache: KvCache, count: number): Promise<{ outputs: TensorMap; cache: KvCache }> {
    const inputs = { ...cache.tensors, ...feeds };
    let outputs: TensorMap;
    if (needsSerialRuns(this.ep)) {
      const running = this.lastRun.then(() => this.session.run(inputs));
      this.lastRun = running.catch(() => undefined);
      outputs = await running;
    } else {
      outputs = await this.session.run(inputs);
    }
    const tensors: TensorMap = {};
    for (const slot of this.layout.slots) {
      tensors[slot.pastKey] = outputs[slot.presentKey]!;
      tensors[slot.pastValue] = outputs[slot.presentValue]!;
    }
    return { outputs, cache: { length: cache.length + count, evicted: cache.evicted, tensors } };
  }

  async forward(ids: readonly number[], cache: KvCache): Promise<{ logits: Float32Array; cache: KvCache }> {
    const step = await this.run(this.tokenFeeds(ids, cache.length, cache.evicted), cache, ids.length);
    return { logits: lastRow(step.outputs.logits!), cache: step.cache };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
