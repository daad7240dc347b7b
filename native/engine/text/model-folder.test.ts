import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyModel, temporaryDir, tinyStoriesOnnx } from '../../testing/fixtures';
import { DecoderSession } from './decoder-session';
import { findOperatingPoint, loadTextModelFolder } from './model-folder';

describe('loadTextModelFolder', () => {
  it('reads the fixture: config, variants and sizes from the folder itself', () => {
    const folder = loadTextModelFolder(tinyStoriesOnnx());
    expect(folder.config).toMatchObject({ numLayers: 2, numKvHeads: 4, headDim: 16, vocabSize: 2048, contextLength: 512, bosTokenId: 1, eosTokenIds: [2] });
    expect(folder.points.map((p) => [p.precision, p.depth])).toEqual([['fp32', 2]]);
    expect(folder.manifest).toBeNull();
    expect(folder.sizeBytes).toBeGreaterThan(3_000_000);
  });

  it('counts the parameters a Llama-layer config declares, tied embeddings once, as transformers does', () => {
    expect(loadTextModelFolder(tinyStoriesOnnx()).parameters).toBe(656_000);
    const dir = copyModel(tinyStoriesOnnx());
    const configFile = path.join(dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    // Qwen2.5-0.5B's config (its q/k/v biases are implied by the type): 494,032,768 on its model card
    const qwen: Record<string, unknown> = { ...config, model_type: 'qwen2', vocab_size: 151_936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2 };
    delete qwen.attention_bias;
    fs.writeFileSync(configFile, JSON.stringify(qwen));
    expect(loadTextModelFolder(dir).parameters).toBe(494_032_768);
    fs.writeFileSync(configFile, JSON.stringify({ ...qwen, tie_word_embeddings: false }));
    expect(loadTextModelFolder(dir).parameters).toBe(494_032_768 + 151_936 * 896);
    fs.writeFileSync(configFile, JSON.stringify({ ...qwen, model_type: 'gpt2' }));
    expect(loadTextModelFolder(dir).parameters).toBeNull();
  });

  it('names a missing folder', () => {
    expect(() => loadTextModelFolder('/no/such/model')).toThrowError('Model folder not found: /no/such/model');
  });

  it('names a folder without onnx/', () => {
    const dir = temporaryDir();
    fs.writeFileSync(path.join(dir, 'config.json'), '{}');
    expect(() => loadTextModelFolder(dir)).toThrowError(/has no onnx\/ folder/);
  });

  it('names the file when config.json is not JSON', () => {
    const dir = copyModel(tinyStoriesOnnx());
    fs.writeFileSync(path.join(dir, 'config.json'), '{ not json');
    expect(() => loadTextModelFolder(dir)).toThrowError(/config\.json in .* is not valid JSON/);
  });

  it('rejects absurd dimensions before allocating anything', () => {
    const dir = copyModel(tinyStoriesOnnx());
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, hidden_size: 1e9 }));
    expect(() => loadTextModelFolder(dir)).toThrowError(/config\.json .*hidden_size/);
  });

  it('refuses a variant that links outside the folder', () => {
    const dir = copyModel(tinyStoriesOnnx());
    fs.symlinkSync(path.join(tinyStoriesOnnx(), 'onnx', 'model.onnx'), path.join(dir, 'onnx', 'model_fp16.onnx'));
    expect(() => loadTextModelFolder(dir)).toThrowError(/model_fp16\.onnx points outside its model folder/);
  });

  it('reports a truncated model.onnx as such, naming the file', async () => {
    const dir = copyModel(tinyStoriesOnnx());
    const file = path.join(dir, 'onnx', 'model.onnx');
    fs.truncateSync(file, 100_000);
    const folder = loadTextModelFolder(dir);
    await expect(DecoderSession.open(folder, findOperatingPoint(folder), 'cpu')).rejects.toThrowError(/onnx\/model\.onnx could not be loaded: it is truncated, corrupt or not an ONNX model/);
  });

  it('falls back to CPU with a reason when the requested provider is not there', async () => {
    const folder = loadTextModelFolder(tinyStoriesOnnx());
    const session = await DecoderSession.open(folder, findOperatingPoint(folder), 'dml');
    expect(session.ep).toBe('cpu');
    expect(session.fallbackReason).toMatch(/^DirectML runs only on win32; this machine is linux, so this runs on CPU\.$/);
    await session.release();
  });
});
