// ONNX Runtime GenAI folders (Microsoft's releases of Phi, Llama, Qwen, Mistral, Gemma): everything the
// engine needs is in genai_config.json, beside model.onnx and its external data.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ApiError } from '../../contract';
import { modelFileBytes } from '../onnx/open-session';
import { parseModelJson, readModelJson } from '../package/model-json';
import { filePrecision } from '../onnx/weight-precision';
import { asIdList, DEFAULT_CONTEXT, dim, tokenIdsJson } from './config-values';
import { OPTIMUM_KV_NAMES } from './kv-names';
import type { FolderLayoutParts } from './folder-layout';

const GENAI_CONFIG = 'genai_config.json';

const kvTemplate = z.string().regex(/^[^%]*%d[^%]*$/, 'must name the layer once as %d');

const GenaiConfigJson = z.looseObject({
  model: z.looseObject({
    type: z.string().min(1),
    bos_token_id: tokenIdsJson,
    eos_token_id: tokenIdsJson,
    context_length: dim(10_000_000).optional(),
    vocab_size: dim(10_000_000),
    decoder: z.looseObject({
      filename: z.string().min(1).default('model.onnx'),
      head_size: dim(4096),
      hidden_size: dim(131_072),
      num_attention_heads: dim(1024),
      num_key_value_heads: dim(1024).optional(),
      num_hidden_layers: dim(1024),
      inputs: z
        .looseObject({
          input_ids: z.literal('input_ids', { error: 'input_ids must be named input_ids' }).optional(),
          attention_mask: z.literal('attention_mask', { error: 'attention_mask must be named attention_mask' }).optional(),
          position_ids: z.literal('position_ids', { error: 'position_ids must be named position_ids' }).optional(),
          past_key_names: kvTemplate.optional(),
          past_value_names: kvTemplate.optional(),
        })
        .default({}),
      outputs: z
        .looseObject({
          logits: z.literal('logits', { error: 'logits must be named logits' }).optional(),
          present_key_names: kvTemplate.optional(),
          present_value_names: kvTemplate.optional(),
        })
        .default({}),
    }),
  }),
  search: z
    .looseObject({
      do_sample: z.boolean().optional(),
      temperature: z.number().positive().optional(),
      top_k: z.number().int().nonnegative().optional(),
      top_p: z.number().positive().max(1).optional(),
      max_length: z.number().int().positive().optional(),
    })
    .default({}),
});

export function isGenaiFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, GENAI_CONFIG)) && !fs.existsSync(path.join(dir, 'config.json'));
}

/** The decoder, heads, cache names, special tokens, context and search defaults that genai_config.json declares. */
export function readGenaiLayout(dir: string): FolderLayoutParts {
  const { model, search } = parseModelJson(GenaiConfigJson, readModelJson(dir, GENAI_CONFIG, true), GENAI_CONFIG, dir);
  const { decoder } = model;
  const file = path.resolve(dir, decoder.filename);
  if (!fs.existsSync(file)) throw new ApiError('invalid_model', `${decoder.filename} is missing from ${dir} (${GENAI_CONFIG} names it).`);
  const contextLength = model.context_length ?? search.max_length ?? DEFAULT_CONTEXT;
  return {
    layout: 'onnxruntime-genai',
    config: {
      architecture: model.type,
      modelType: model.type,
      numLayers: decoder.num_hidden_layers,
      hiddenSize: decoder.hidden_size,
      numHeads: decoder.num_attention_heads,
      numKvHeads: decoder.num_key_value_heads ?? decoder.num_attention_heads,
      headDim: decoder.head_size,
      vocabSize: model.vocab_size,
      contextLength,
      bosTokenId: asIdList(model.bos_token_id)[0] ?? null,
      eosTokenIds: asIdList(model.eos_token_id),
      // genai_config.json does not say these; the fused rewrite is checked against the export by a probe run.
      hiddenAct: null,
      rmsNormEps: null,
      ropeTheta: 10_000,
      ropeScaling: null,
      partialRotaryFactor: 1,
      slidingWindow: null,
      trainedAttention: null,
    },
    generationDefaults: { do_sample: search.do_sample, temperature: search.temperature, top_k: search.top_k, top_p: search.top_p },
    points: [{ precision: filePrecision(file, 'fp32'), depth: decoder.num_hidden_layers, path: file, quality: null }],
    kvNames: {
      pastKey: decoder.inputs.past_key_names ?? OPTIMUM_KV_NAMES.pastKey,
      pastValue: decoder.inputs.past_value_names ?? OPTIMUM_KV_NAMES.pastValue,
      presentKey: decoder.outputs.present_key_names ?? OPTIMUM_KV_NAMES.presentKey,
      presentValue: decoder.outputs.present_value_names ?? OPTIMUM_KV_NAMES.presentValue,
    },
    sizeBytes: modelFileBytes(file),
    parameters: null, // genai_config.json does not give the MLP's width
  };
}
