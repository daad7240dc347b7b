import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TextGenerationRequestSchema } from '../../contract';
import { DataType } from '../onnx/onnx-model';
import { SessionPool } from '../onnx/session-pool';
import { copyModel, fixtureLayout, fixtureVariants, referenceGreedy, syntheticTinyLlama, tinyStoriesOnnx } from '../../testing/fixtures';
import { addInput, editedFixture, GIT_LFS_POINTER, int32IdInputs, shiftKvLayers } from '../../testing/graph-surgery';
import type { DecoderSession } from './decoder-session';
import { checkTextModel } from './model-check';
import { loadTextModelFolder } from './model-folder';
import { TextGenerator } from './text-generator';

const pools: SessionPool<DecoderSession>[] = [];
afterAll(() => Promise.all(pools.map((pool) => pool.closeAll())));

const verdict = (dir: string) => checkTextModel(loadTextModelFolder(dir));

async function greedyIds(dir: string): Promise<number[]> {
  const pool = new SessionPool<DecoderSession>(Infinity);
  pools.push(pool);
  const request = TextGenerationRequestSchema.parse({ model: 'x', prompt: '', maxNewTokens: 40, doSample: false });
  return (await new TextGenerator(loadTextModelFolder(dir), pool, { fuseGraph: false }).generate(request)).generatedIds;
}

describe('checkTextModel: what import refuses, in one sentence naming the file', () => {
  it('accepts the fixture', async () => {
    await expect(verdict(tinyStoriesOnnx())).resolves.toBeUndefined();
  });

  it('a garbage model.onnx', async () => {
    const dir = copyModel(tinyStoriesOnnx());
    fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), 'this is not a model\n'.repeat(100));
    await expect(verdict(dir)).rejects.toThrowError(/^[\w-]+: onnx\/model\.onnx is not an ONNX model: .*\.$/);
  });

  it('a git-lfs pointer instead of model.onnx', async () => {
    const dir = copyModel(tinyStoriesOnnx());
    fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), GIT_LFS_POINTER);
    await expect(verdict(dir)).rejects.toThrowError(/onnx\/model\.onnx is a git-lfs pointer, not the file itself: run "git lfs pull" in .* to download it\./);
  });

  it('a missing external data file', async () => {
    const dir = copyModel(fixtureLayout('external-data'));
    fs.rmSync(path.join(dir, 'onnx', 'model.onnx_data'));
    await expect(verdict(dir)).rejects.toThrowError(/onnx\/model\.onnx keeps its weights in onnx\/model\.onnx_data, which is missing\./);
  });

  it('an external data file that is a git-lfs pointer, or cut short', async () => {
    const dir = copyModel(fixtureLayout('external-data'));
    const data = path.join(dir, 'onnx', 'model.onnx_data');
    fs.truncateSync(data, 1000);
    await expect(verdict(dir)).rejects.toThrowError(/onnx\/model\.onnx_data is shorter than onnx\/model\.onnx says \(1000 of \d+ bytes\): the download is incomplete\./);
    fs.writeFileSync(data, GIT_LFS_POINTER);
    await expect(verdict(dir)).rejects.toThrowError(/onnx\/model\.onnx_data is a git-lfs pointer/);
  });

  it('a hybrid model with a convolution state', async () => {
    const dir = editedFixture((model) => addInput(model, 'past_key_values.0.conv_state'));
    await expect(verdict(dir)).rejects.toThrowError(
      'onnx/model.onnx: hybrid conv-state layers (input past_key_values.0.conv_state) are not supported: the engine caches attention keys and values only.',
    );
  });

  it('the stacked past_N layout of 2019 GPT-2 exports', async () => {
    const dir = editedFixture((model) => {
      model.graph.input = model.graph.input.filter((info) => !info.name.startsWith('past_key_values'));
      for (const layer of [0, 1]) addInput(model, `past_${layer}`);
    });
    await expect(verdict(dir)).rejects.toThrowError('onnx/model.onnx: stacked past_N layout (GPT-2 2019 export) is not supported: re-export with optimum.');
  });

  it('a decoder without a KV cache', async () => {
    const dir = editedFixture((model) => {
      model.graph.input = model.graph.input.filter((info) => !info.name.startsWith('past_key_values'));
    });
    await expect(verdict(dir)).rejects.toThrowError(/onnx\/model\.onnx has no KV-cache inputs named like past_key_values\.0\.key: the engine needs a decoder exported with its cache/);
  });

  it('an input the engine cannot feed, and an id input of a type it does not feed', async () => {
    await expect(verdict(editedFixture((model) => addInput(model, 'token_type_ids', DataType.INT64)))).rejects.toThrowError(
      'onnx/model.onnx takes an input token_type_ids, which the engine does not know how to feed.',
    );
    const floatIds = editedFixture((model) => {
      model.graph.input.find((info) => info.name === 'input_ids')!.type!.tensor_type!.elem_type = DataType.FLOAT;
    });
    await expect(verdict(floatIds)).rejects.toThrowError('onnx/model.onnx declares input_ids as float32; the engine feeds it as int32 or int64.');
  });

  it('a graph that runs but does not fit its config: the 2-token run says so', async () => {
    const dir = copyModel(tinyStoriesOnnx());
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, vocab_size: 4096 }));
    await expect(verdict(dir)).rejects.toThrowError('onnx/model.onnx returns 2048 logits per token, but the vocabulary has 4096 entries.');
  });
});

describe('layouts import accepts and runs as declared', () => {
  it('a cache that starts at layer 1 is read by its layer numbers and decodes the reference tokens', async () => {
    const dir = editedFixture((model) => shiftKvLayers(model, 1));
    await expect(verdict(dir)).resolves.toBeUndefined();
    expect(await greedyIds(dir)).toEqual(referenceGreedy().output_ids.slice(1));
  });

  it('int32 id inputs are fed as int32 and decode the reference tokens', async () => {
    const dir = editedFixture(int32IdInputs);
    await expect(verdict(dir)).resolves.toBeUndefined();
    expect(await greedyIds(dir)).toEqual(referenceGreedy().output_ids.slice(1));
  });

  it('names the weights of a plain model.onnx by what its graph holds, not by its file name', () => {
    const dir = copyModel(tinyStoriesOnnx());
    fs.copyFileSync(path.join(fixtureVariants(), 'onnx', 'model_fp16.onnx'), path.join(dir, 'onnx', 'model.onnx'));
    expect(loadTextModelFolder(dir).points.map((point) => point.precision)).toEqual(['fp16']);
    expect(loadTextModelFolder(tinyStoriesOnnx()).points.map((point) => point.precision)).toEqual(['fp32']);
  });

  it('int4 MatMulNBits weights under the plain name: listed as int4, accepted, and run fused like the export', async () => {
    const dir = copyModel(syntheticTinyLlama());
    const onnxDir = path.join(dir, 'onnx');
    fs.copyFileSync(path.join(onnxDir, 'model_q4.onnx'), path.join(onnxDir, 'model.onnx'));
    for (const name of ['model_int8.onnx', 'model_q4.onnx', 'model_q4_accuracy0.onnx']) fs.rmSync(path.join(onnxDir, name));
    const folder = loadTextModelFolder(dir);
    expect(folder.points.map((point) => point.precision)).toEqual(['int4']);
    await expect(checkTextModel(folder)).resolves.toBeUndefined();
    const pool = new SessionPool<DecoderSession>(Infinity);
    pools.push(pool);
    const request = TextGenerationRequestSchema.parse({ model: 'x', prompt: 'Once upon a time', maxNewTokens: 24, doSample: false });
    const fused = new TextGenerator(folder, pool);
    const prepared = await fused.prepare(request);
    expect(prepared.primary.graph.kind).toBe('fused');
    prepared.leases.forEach((lease) => lease.release());
    const exported = new TextGenerator(folder, pool, { fuseGraph: false });
    // the same pool holds both: the export's generator must get its own session, not the fused one
    const preparedExport = await exported.prepare(request);
    expect(preparedExport.primary.graph).toEqual({ kind: 'export', reason: 'fusion is turned off' });
    preparedExport.leases.forEach((lease) => lease.release());
    expect((await fused.generate(request)).generatedIds).toEqual((await exported.generate(request)).generatedIds);
  });
});
