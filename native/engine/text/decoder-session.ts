import { ApiError, type ExecutionProvider } from '../../contract';
import { openSession } from '../onnx/open-session';
import { emptyTensor, int64Tensor, type OrtSession, type Tensor, type TensorMap } from '../onnx/runtime';
import type { TextModelFolder } from './model-folder';

/** The past key/value tensors of every layer, `length` positions long. */
export interface KvCache {
  length: number;
  tensors: TensorMap;
}

interface KvSlot {
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
}

/** What the graph itself says about its inputs and outputs: the engine detects, it does not guess. */
interface DecoderLayout {
  slots: KvSlot[];
  hasPositionIds: boolean;
  hasAttentionMask: boolean;
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
  const kvType = keyMeta?.isTensor && keyMeta.type === 'float16' ? 'float16' : 'float32';
  return {
    slots,
    hasPositionIds: inputs.has('position_ids'),
    hasAttentionMask: inputs.has('attention_mask'),
    kvType,
    kvHeads: fixed(shape[1], folder.config.numKvHeads),
    headDim: fixed(shape[3], folder.config.headDim),
  };
}

function int64Range(start: number, count: number): BigInt64Array {
  const values = new BigInt64Array(count);
  for (let i = 0; i < count; i++) values[i] = BigInt(start + i);
  return values;
}

/** One ONNX decoder file: runs forward steps over a KV cache and returns the last position's logits. */
export class DecoderSession {
  private constructor(
    private readonly session: OrtSession,
    private readonly layout: DecoderLayout,
    readonly precision: string,
    readonly ep: ExecutionProvider,
    readonly fallbackReason: string | null,
    readonly vocabSize: number,
  ) {}

  static async open(folder: TextModelFolder, precision: string, ep: ExecutionProvider): Promise<DecoderSession> {
    const file = folder.variants.get(precision);
    if (!file) {
      throw new ApiError('bad_request', `${folder.name} has no ${precision} variant; it offers ${[...folder.variants.keys()].join(', ')}.`);
    }
    const displayName = `onnx/${file.split(/[\\/]/).pop()}`;
    const opened = await openSession(file, { ep, displayName });
    const layout = detectLayout(opened.session, folder, displayName);
    return new DecoderSession(opened.session, layout, precision, opened.ep, opened.fallbackReason, folder.config.vocabSize);
  }

  emptyCache(): KvCache {
    const dims = [1, this.layout.kvHeads, 0, this.layout.headDim];
    const tensors: TensorMap = {};
    for (const slot of this.layout.slots) {
      tensors[slot.pastKey] = emptyTensor(this.layout.kvType, dims);
      tensors[slot.pastValue] = emptyTensor(this.layout.kvType, dims);
    }
    return { length: 0, tensors };
  }

  /** The inputs other than the cache for running `ids` after `pastLength` cached positions. */
  tokenFeeds(ids: readonly number[], pastLength: number): TensorMap {
    const count = ids.length;
    const total = pastLength + count;
    const feeds: TensorMap = { input_ids: int64Tensor(BigInt64Array.from(ids, BigInt), [1, count]) };
    if (this.layout.hasAttentionMask) feeds.attention_mask = int64Tensor(new BigInt64Array(total).fill(1n), [1, total]);
    if (this.layout.hasPositionIds) feeds.position_ids = int64Tensor(int64Range(pastLength, count), [1, count]);
    return feeds;
  }

  /** One bare `session.run`: the outputs' present tensors become the next cache, nothing else is done. */
  async run(feeds: TensorMap, cache: KvCache, count: number): Promise<{ outputs: TensorMap; cache: KvCache }> {
    const outputs = await this.session.run({ ...cache.tensors, ...feeds });
    const tensors: TensorMap = {};
    for (const slot of this.layout.slots) {
      tensors[slot.pastKey] = outputs[slot.presentKey]!;
      tensors[slot.pastValue] = outputs[slot.presentValue]!;
    }
    return { outputs, cache: { length: cache.length + count, tensors } };
  }

  /** Runs `ids` after the cached positions; returns the logits of the last one and the grown cache. */
  async forward(ids: readonly number[], cache: KvCache): Promise<{ logits: Float32Array; cache: KvCache }> {
    const step = await this.run(this.tokenFeeds(ids, cache.length), cache, ids.length);
    return { logits: lastRow(step.outputs.logits!, this.vocabSize), cache: step.cache };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function lastRow(logits: Tensor, configVocab: number): Float32Array {
  if (logits.type !== 'float32') {
    throw new ApiError('invalid_model', `logits are ${logits.type}; this engine reads float32 logits.`);
  }
  const data = logits.data as Float32Array;
  const vocab = Number(logits.dims.at(-1) ?? configVocab);
  return data.subarray(data.length - vocab);
}
