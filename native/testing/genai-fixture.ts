// Small folders in ONNX Runtime GenAI's layout, made from the 656K fixture: genai_config.json (no
// config.json), model.onnx + model.onnx.data, attention on the contrib GroupQueryAttention kernel with
// RoPE inside it or in RotaryEmbedding nodes before it, the cache named by genai_config.json's templates,
// and a tokenizer.json without a decoder.
import fs from 'node:fs';
import path from 'node:path';
import { attributeInt, DataType, encodeModel, node, readModel, tensorValueInfo, type ModelProto, type TensorProto } from '../engine/onnx/onnx-model';
import { fusedDecoderModel } from '../engine/text/fused/fused-decoder';
import { findOperatingPoint, loadTextModelFolder } from '../engine/text/model-folder';
import { buildOnce, copyModel, tinyStoriesOnnx } from './fixtures';
import { renameTensors } from './graph-surgery';

export const GENAI_KV_NAMES = { past_key_names: 'past_key_%d', past_value_names: 'past_value_%d', present_key_names: 'present_key_%d', present_value_names: 'present_value_%d' };

function int64Initializer(name: string, dims: number[], values: number[]): TensorProto {
  return { name, dims, data_type: DataType.INT64, raw_data: new Uint8Array(BigInt64Array.from(values, BigInt).buffer) };
}

/** GenAI graphs take attention_mask and work out GroupQueryAttention's seqlens_k and total_sequence_length from it. */
function sequenceLengthsFromMask(model: ModelProto): void {
  const { graph } = model;
  graph.input = graph.input.filter((info) => info.name !== 'seqlens_k' && info.name !== 'total_sequence_length');
  graph.input.push(tensorValueInfo('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']));
  graph.initializer.push(int64Initializer('genai.axis1', [1], [1]), int64Initializer('genai.one', [], [1]));
  graph.node.unshift(
    node('ReduceSum', ['attention_mask', 'genai.axis1'], ['genai.mask_sum'], [{ name: 'keepdims', type: 2, i: 0 }]),
    node('Sub', ['genai.mask_sum', 'genai.one'], ['genai.seqlens_int64']),
    node('Cast', ['genai.seqlens_int64'], ['seqlens_k'], [{ name: 'to', type: 2, i: DataType.INT32 }]),
    node('Shape', ['attention_mask'], ['genai.mask_shape'], [{ name: 'start', type: 2, i: 1 }]),
    node('Squeeze', ['genai.mask_shape'], ['genai.total_int64']),
    node('Cast', ['genai.total_int64'], ['total_sequence_length'], [{ name: 'to', type: 2, i: DataType.INT32 }]),
  );
}

/**
 * RoPE in com.microsoft RotaryEmbedding nodes on q and k, and GroupQueryAttention without it (do_rotary 0), as
 * GenAI's builder writes some models: each packed [q | k | v] is split and q, k rotated at the fed positions.
 */
function separateRotary(model: ModelProto, heads: number, kvHeads: number, headDim: number): void {
  const { graph } = model;
  const sizes = 'genai.qkv_sizes';
  graph.initializer.push(int64Initializer(sizes, [3], [heads * headDim, kvHeads * headDim, kvHeads * headDim]));
  graph.node = graph.node.flatMap((n) => {
    if (n.op_type !== 'GroupQueryAttention') return [n];
    const [qkv, , , pastKey, pastValue, seqlens, total, cos, sin, positions] = n.input as [string, string, string, string, string, string, string, string, string, string];
    const [q, k, v] = ['q', 'k', 'v'].map((part) => `${n.output[0]}/${part}`) as [string, string, string];
    const rotary = (input: string) => node('RotaryEmbedding', [input, positions, cos, sin], [`${input}_rotated`], [attributeInt('interleaved', 0)], 'com.microsoft');
    const attributes = n.attribute.map((a) => (a.name === 'do_rotary' ? attributeInt('do_rotary', 0) : a));
    return [
      node('Split', [qkv, sizes], [q, k, v], [attributeInt('axis', -1)]),
      rotary(q),
      rotary(k),
      { ...n, input: [`${q}_rotated`, `${k}_rotated`, v, pastKey, pastValue, seqlens, total], attribute: attributes },
    ];
  });
}

function renameCache(model: ModelProto, layers: number): void {
  const renames = new Map<string, string>();
  for (let layer = 0; layer < layers; layer++) {
    renames.set(`past_key_values.${layer}.key`, GENAI_KV_NAMES.past_key_names.replace('%d', String(layer)));
    renames.set(`past_key_values.${layer}.value`, GENAI_KV_NAMES.past_value_names.replace('%d', String(layer)));
    renames.set(`present.${layer}.key`, GENAI_KV_NAMES.present_key_names.replace('%d', String(layer)));
    renames.set(`present.${layer}.value`, GENAI_KV_NAMES.present_value_names.replace('%d', String(layer)));
  }
  renameTensors(model, renames);
}

/** Moves every initializer over 1 KB into `model.onnx.data`, as GenAI's builder writes its weights. */
function externalise(model: ModelProto, dir: string): void {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of model.graph.initializer) {
    if (!tensor.raw_data || tensor.raw_data.length <= 1024) continue;
    const length = tensor.raw_data.length;
    chunks.push(tensor.raw_data);
    delete tensor.raw_data;
    tensor.data_location = 1;
    tensor.external_data = [
      { key: 'location', value: 'model.onnx.data' },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(length) },
    ];
    offset += length;
  }
  fs.writeFileSync(path.join(dir, 'model.onnx.data'), Buffer.concat(chunks));
}

function genaiConfig(config: ReturnType<typeof loadTextModelFolder>['config']): object {
  return {
    model: {
      type: config.modelType,
      bos_token_id: config.bosTokenId,
      eos_token_id: config.eosTokenIds,
      pad_token_id: config.eosTokenIds[0],
      context_length: config.contextLength,
      vocab_size: config.vocabSize,
      decoder: {
        filename: 'model.onnx',
        session_options: { log_id: 'onnxruntime-genai', provider_options: [] },
        head_size: config.headDim,
        hidden_size: config.hiddenSize,
        num_attention_heads: config.numHeads,
        num_key_value_heads: config.numKvHeads,
        num_hidden_layers: config.numLayers,
        inputs: { input_ids: 'input_ids', attention_mask: 'attention_mask', position_ids: 'position_ids', past_key_names: GENAI_KV_NAMES.past_key_names, past_value_names: GENAI_KV_NAMES.past_value_names },
        outputs: { logits: 'logits', present_key_names: GENAI_KV_NAMES.present_key_names, present_value_names: GENAI_KV_NAMES.present_value_names },
      },
    },
    search: { do_sample: false, top_k: 1, top_p: 1, temperature: 1, max_length: config.contextLength, past_present_share_buffer: true, num_beams: 1 },
  };
}

function buildGenaiFolder(dir: string, attention: 'rotary-inside' | 'rotary-nodes'): void {
  const source = loadTextModelFolder(tinyStoriesOnnx());
  const { model } = fusedDecoderModel(findOperatingPoint(source).path, source.config);
  if (attention === 'rotary-nodes') separateRotary(model, source.config.numHeads, source.config.numKvHeads, source.config.headDim);
  sequenceLengthsFromMask(model);
  renameCache(model, source.config.numLayers);
  fs.mkdirSync(dir, { recursive: true });
  externalise(model, dir);
  fs.writeFileSync(path.join(dir, 'model.onnx'), encodeModel(model));
  fs.writeFileSync(path.join(dir, 'genai_config.json'), JSON.stringify(genaiConfig(source.config), null, 2));
  const { decoder: _decoder, ...tokenizer } = JSON.parse(fs.readFileSync(path.join(source.dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  fs.copyFileSync(path.join(source.dir, 'tokenizer_config.json'), path.join(dir, 'tokenizer_config.json'));
}

/** The GenAI-layout folder with RoPE inside GroupQueryAttention, made once per machine into the temporary folder. */
export function genaiFixture(): string {
  return buildOnce('pareto-fixture-genai-gqa-v2', (dir) => buildGenaiFolder(dir, 'rotary-inside'));
}

/** The GenAI-layout folder with RoPE in RotaryEmbedding nodes ahead of GroupQueryAttention, made once per machine. */
export function genaiRotaryFixture(): string {
  return buildOnce('pareto-fixture-genai-rotary-v2', (dir) => buildGenaiFolder(dir, 'rotary-nodes'));
}

/** A writable copy of the GenAI-layout folder whose graph names its external data `dataName` instead of model.onnx.data. */
export function genaiFixtureWithDataIn(dataName: string): string {
  const dir = copyModel(genaiFixture());
  const graphFile = path.join(dir, 'model.onnx');
  const model = readModel(graphFile);
  for (const tensor of model.graph.initializer) for (const entry of tensor.external_data ?? []) if (entry.key === 'location') entry.value = dataName;
  fs.renameSync(path.join(dir, 'model.onnx.data'), path.join(dir, dataName));
  fs.writeFileSync(graphFile, encodeModel(model));
  return dir;
}
