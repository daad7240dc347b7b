import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { OpenAiImagesResponse, OpenAiModel, ParetoTextInfo } from '../contract/openai';
import { decodePng } from '../engine/png/png';
import { apiServerForTests } from '../testing/api-server';
import { bundledModels, temporaryDir } from '../testing/fixtures';

const STORIES = ['pareto-stories-teacher', 'pareto-stories-student-m', 'pareto-stories-student-s'];
const EMOJI = ['pareto-emoji-teacher', 'pareto-emoji-student'];

/** What a bundled package declares for one operating point, in its pareto.json: the API must report it as is. */
const declared = (model: string, point: { precision: string; depth?: number; steps?: number }) => {
  const manifest = JSON.parse(readFileSync(join(bundledModels(), model, 'pareto.json'), 'utf8')) as {
    operatingPoints: { precision: string; depth?: number; steps?: number; quality: { bitsPerByte?: number; frechetDistance?: number } }[];
  };
  const found = manifest.operatingPoints.find((p) => p.precision === point.precision && p.depth === point.depth && p.steps === point.steps);
  if (!found) throw new Error(`${model} declares no ${JSON.stringify(point)} point`);
  return found.quality;
};

const api = apiServerForTests(() => ({ dataDir: temporaryDir(), bundledModelsDir: bundledModels() }));

type ParetoChat = OpenAI.ChatCompletion & { pareto: ParetoTextInfo };
type ImagesAnswer = OpenAI.ImagesResponse & Pick<OpenAiImagesResponse, 'pareto'>;

const chat = async (pareto: object, fields: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
  (await api.client.chat.completions.create({
    model: 'pareto-stories',
    messages: [{ role: 'user', content: 'Once upon a time, there was a little fox' }],
    max_tokens: 16,
    temperature: 0,
    pareto,
    ...fields,
  } as OpenAI.ChatCompletionCreateParamsNonStreaming)) as ParetoChat;

const images = async (fields: object) => (await api.client.images.generate({ prompt: 'a smiling face', ...fields } as OpenAI.ImageGenerateParamsNonStreaming)) as ImagesAnswer;

describe('families in /v1/models', () => {
  it('lists each family as its own id, with its members, precisions and operating points', async () => {
    const { data } = await api.client.models.list();
    const byId = new Map(data.map((model) => [model.id, model as OpenAiModel]));
    expect([...byId.keys()].slice(0, 2).sort()).toEqual(['pareto-emoji', 'pareto-stories']);
    expect(byId.get('pareto-stories')!.pareto).toMatchObject({ kind: 'text', is_family: true, family: 'pareto-stories', precisions: ['fp32', 'fp16', 'int8'] });
    expect(byId.get('pareto-stories')!.pareto.models.sort()).toEqual([...STORIES].sort());
    expect(byId.get('pareto-stories')!.pareto.operating_points).toHaveLength(24);
    expect(byId.get('pareto-stories')!.pareto.operating_points).toContainEqual({ model: 'pareto-stories-student-s', precision: 'int8', depth: 2, bits_per_byte: declared('pareto-stories-student-s', { precision: 'int8', depth: 2 }).bitsPerByte });
    expect(byId.get('pareto-emoji')!.pareto).toMatchObject({ kind: 'image', is_family: true, models: expect.arrayContaining(EMOJI) });
    expect(byId.get('pareto-emoji')!.pareto.operating_points).toContainEqual({ model: 'pareto-emoji-student', precision: 'fp32', steps: 4, frechet_distance: declared('pareto-emoji-student', { precision: 'fp32', steps: 4 }).frechetDistance });
    expect(byId.get('pareto-stories-student-s')!.pareto).toMatchObject({ kind: 'text', is_family: false, family: 'pareto-stories', context_length: 512 });
  });
});

describe('a family id planned by λ', () => {
  it('answers λ 0 and λ 1 from two different points, and says which', async () => {
    const [efficient, best] = [await chat({ lambda: 0 }), await chat({ lambda: 1 })];
    for (const [answer, lambda] of [[efficient, 0], [best, 1]] as const) {
      expect(STORIES).toContain(answer.model);
      expect(answer.pareto.model).toBe(answer.model);
      expect(answer.pareto).toMatchObject({ family: 'pareto-stories', chat_template: 'model', lambda_choice: { lambda } });
      expect(answer.choices[0]!.message.content!.length).toBeGreaterThan(0);
    }
    const pointOf = (answer: ParetoChat) => [answer.model, answer.pareto.point.precision, answer.pareto.point.depth];
    expect(pointOf(efficient)).not.toEqual(pointOf(best));
    expect(best.pareto.lambda_choice!.bits_per_byte).toBeLessThan(efficient.pareto.lambda_choice!.bits_per_byte);
    expect(best.pareto.lambda_choice!.predicted_ms_per_token).toBeGreaterThan(efficient.pareto.lambda_choice!.predicted_ms_per_token);
  });

  it('takes the saved slider when the request gives no λ, and keeps knobs fixed by hand', async () => {
    await api.host.invoke('updateSettings', { lambda: 1 });
    const saved = await chat({});
    expect(saved.pareto.lambda_choice!.lambda).toBe(1);
    // Points of equal quality (a package's precisions) are told apart by measured cost, which every run refines.
    const explicit = await chat({ lambda: 1 });
    expect([saved.model, saved.pareto.point.depth, saved.pareto.lambda_choice!.bits_per_byte]).toEqual([explicit.model, explicit.pareto.point.depth, explicit.pareto.lambda_choice!.bits_per_byte]);
    const fixed = await chat({ lambda: 1, precision: 'int8', window: 64 });
    expect(fixed.pareto.point).toMatchObject({ precision: 'int8', window: { sinks: 4, window: 64 } });
  });

  it('plans completions to the family id too', async () => {
    const completion = (await api.client.completions.create({ model: 'pareto-stories', prompt: 'Tom had a ball.', max_tokens: 8, temperature: 0, pareto: { lambda: 0 } } as OpenAI.CompletionCreateParamsNonStreaming)) as OpenAI.Completion & { pareto: ParetoTextInfo };
    expect(STORIES).toContain(completion.model);
    expect(completion.pareto).toMatchObject({ family: 'pareto-stories', chat_template: null, lambda_choice: { lambda: 0 } });
  });

  it('runs every choice of n at the point the first ran at', async () => {
    const answer = await chat({ lambda: 0.5 }, { n: 3, temperature: 1, seed: 11 });
    expect(answer.choices).toHaveLength(3);
    expect(new Set(answer.choices.map((choice) => choice.message.content)).size).toBeGreaterThan(1);
    expect(answer.usage!.completion_tokens).toBeGreaterThan(answer.choices.length);
  });

  it('answers chat asked of an image family in OpenAI error shape, naming the model', async () => {
    const failure = await api.client.chat.completions.create({ model: 'pareto-emoji', messages: [{ role: 'user', content: 'Hi' }] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('model');
    expect((failure as Error).message).toContain('/v1/images/generations');
  });

  it('answers chat on a bundled model through the template it ships', async () => {
    const answer = (await api.client.chat.completions.create({
      model: 'pareto-stories-student-s',
      messages: [{ role: 'system', content: 'A story for a child.' }, { role: 'user', content: 'Tom had a red ball.' }],
      max_tokens: 24,
      temperature: 0,
    })) as ParetoChat;
    expect(answer).toMatchObject({ model: 'pareto-stories-student-s', pareto: { chat_template: 'model', lambda_choice: null } });
    expect(answer.choices[0]!.message.content!.trim().length).toBeGreaterThan(0);
  });
});

describe('POST /v1/images/generations', () => {
  it('returns PNGs a client can decode, the same bytes for the same seed', async () => {
    const first = await images({ model: 'pareto-emoji-student', seed: 7, size: '64x64', response_format: 'b64_json' });
    const again = await images({ model: 'pareto-emoji-student', seed: 7 });
    const other = await images({ model: 'pareto-emoji-student', seed: 8 });
    const png = Buffer.from(first.data![0]!.b64_json!, 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(decodePng(png)).toMatchObject({ width: 64, height: 64 });
    expect(again.data![0]!.b64_json).toBe(first.data![0]!.b64_json);
    expect(other.data![0]!.b64_json).not.toBe(first.data![0]!.b64_json);
    expect(first.pareto).toMatchObject({ model: 'pareto-emoji-student', family: 'pareto-emoji', point: { precision: 'fp32', steps: 4, width: 64, height: 64 }, lambda_choice: null });
    expect(first.pareto.images[0]!.seed).toBe(7);
    expect(first.pareto.images[0]!.parameters).toContain('Seed: 7');
    expect(first.pareto.cost.s_per_image).toBeGreaterThan(0);
    expect(first.pareto.cost.peak_rss_mb).toBeGreaterThan(0);
  });

  it('makes n images with consecutive seeds', async () => {
    const pair = await images({ model: 'pareto-emoji-student', seed: 7, n: 2, steps: 2 });
    const second = await images({ model: 'pareto-emoji-student', seed: 8, steps: 2 });
    expect(pair.data).toHaveLength(2);
    expect(pair.pareto.images.map((image) => image.seed)).toEqual([7, 8]);
    // one batched UNet call and a single one round a few pixel values apart (onnxruntime picks other kernels per batch size)
    const pixels = (b64: string) => decodePng(Buffer.from(b64, 'base64')).data;
    const [batched, single, first] = [pixels(pair.data![1]!.b64_json!), pixels(second.data![0]!.b64_json!), pixels(pair.data![0]!.b64_json!)];
    const largestDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (value, i) => Math.abs(value - b[i]!)));
    expect(largestDifference(batched, single)).toBeLessThanOrEqual(2);
    expect(largestDifference(first, single)).toBeGreaterThan(16);
    expect(pair.pareto.point.steps).toBe(2);
  });

  it('uses the bundled image family at the saved slider when the request names no model', async () => {
    await api.host.invoke('updateSettings', { lambda: 0 });
    const answer = await images({ seed: 3 });
    expect(answer.pareto).toMatchObject({ family: 'pareto-emoji', lambda_choice: { lambda: 0 } });
    expect(EMOJI).toContain(answer.pareto.model);
  });

  it('plans the family id by λ and says which point ran', async () => {
    const [efficient, best] = [await images({ model: 'pareto-emoji', lambda: 0, seed: 1 }), await images({ model: 'pareto-emoji', lambda: 1, seed: 1 })];
    expect(efficient.pareto.lambda_choice!.lambda).toBe(0);
    expect(best.pareto.lambda_choice!.lambda).toBe(1);
    expect([efficient.pareto.model, efficient.pareto.point.precision, efficient.pareto.point.steps]).not.toEqual([best.pareto.model, best.pareto.point.precision, best.pareto.point.steps]);
    expect(best.pareto.lambda_choice!.frechet_distance).toBeLessThan(efficient.pareto.lambda_choice!.frechet_distance);
  });

  it.each([
    ['size', { model: 'pareto-emoji-student', size: '1024x1024' }],
    ['size', { model: 'pareto-emoji-student', size: '33x32' }],
    ['size', { model: 'pareto-emoji-student', size: 'large' }],
    ['n', { model: 'pareto-emoji-student', n: 9 }],
    ['response_format', { model: 'pareto-emoji-student', response_format: 'url' }],
    ['lambda', { model: 'pareto-emoji-student', lambda: 0.5 }],
    ['model', { model: 'pareto-stories' }],
    ['model', { model: 'dall-e-3' }],
    ['prompt', { model: 'pareto-emoji-student', prompt: '' }],
  ])('answers a bad %s in OpenAI error shape naming it, and keeps serving', async (param, fields) => {
    const failure = await images(fields).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBeLessThan(500);
    expect((failure as InstanceType<typeof OpenAI.APIError>).param).toBe(param);
    expect((await api.client.models.list()).data.length).toBeGreaterThan(0);
  });
});
