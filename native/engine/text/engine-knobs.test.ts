import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TextGenerationRequestSchema, type TextGenerationRequest } from '../../contract';
import { copyModel, fixtureVariants, heldOutText, referenceGreedy, tinyStoriesOnnx } from '../../testing/fixtures';
import { SessionPool } from '../onnx/session-pool';
import { DecoderSession } from './decoder-session';
import type { DecoderStep } from './decoder-step';
import type { KvCache } from './kv-cache';
import { findOperatingPoint, loadTextModelFolder } from './model-folder';
import { argmax } from './argmax';
import { negativeLogLikelihood, teacherForcedLogits } from './teacher-forcing';
import { TextGenerator } from './text-generator';
import { TextTokenizer } from './tokenizer';

const pool = new SessionPool<DecoderSession>(Infinity);
afterAll(() => pool.closeAll());
const request = (fields: Partial<TextGenerationRequest>) => TextGenerationRequestSchema.parse({ model: 'fixture', prompt: '', ...fields });

describe('precision variants of the 656K fixture', () => {
  const variants = fixtureVariants();
  const folder = loadTextModelFolder(variants);

  it('finds every variant by its file name', () => {
    expect(folder.points.map((p) => p.precision)).toEqual(['fp32', 'fp16', 'int8']);
  });

  it.each(['fp16', 'int8'])('%s agrees with fp32 on the top-1 token at ≥ 95%% of 200 held-out positions', async (precision) => {
    const tokenizer = new TextTokenizer(folder.tokenizerJson, folder.tokenizerConfig, folder.name);
    const ids = tokenizer.encode(heldOutText()).slice(0, 201);
    const open = (p: string) => DecoderSession.open(folder, findOperatingPoint(folder, p), 'cpu');
    const [full, variant] = [await open('fp32'), await open(precision)];
    const [reference, candidate] = [await teacherForcedLogits(full, ids), await teacherForcedLogits(variant, ids)];
    const agreeing = reference.slice(0, 200).filter((row, i) => argmax(row) === argmax(candidate[i]!)).length;
    expect(agreeing / 200).toBeGreaterThanOrEqual(0.95);
    await Promise.all([full.release(), variant.release()]);
  });

  it('generates through the fp16 key/value cache and fp16 logits', async () => {
    const generator = new TextGenerator(folder, pool);
    const result = await generator.generate(request({ maxNewTokens: 40, doSample: false, precision: 'fp16' }));
    expect(result.config.precision).toBe('fp16');
    const agreement = result.generatedIds.filter((id, i) => id === referenceGreedy().output_ids[i + 1]).length;
    expect(agreement).toBeGreaterThanOrEqual(30);
  });

  it('dynamic precision shares one cache between int8 and fp32 and reports the split', async () => {
    const generator = new TextGenerator(folder, pool);
    const run = (entropyThreshold: number) =>
      generator.generate(request({ prompt: 'Once upon a time', maxNewTokens: 60, doSample: false, dynamicPrecision: { cheap: 'int8', full: 'fp32', entropyThreshold } }));
    const [allFull, mixed, allCheap] = [await run(0), await run(1.5), await run(20)];
    expect(allFull.metrics.precisionShare).toEqual({ int8: 0, fp32: 1 });
    expect(allCheap.metrics.precisionShare).toEqual({ int8: 1, fp32: 0 });
    const share = mixed.metrics.precisionShare!;
    expect(share.int8! + share.fp32!).toBeCloseTo(1);
    expect(share.int8).toBeGreaterThan(0);
    expect(share.fp32).toBeGreaterThan(0);
    expect(mixed.config.precision).toBe('int8+fp32');
    const fp32Only = await generator.generate(request({ prompt: 'Once upon a time', maxNewTokens: 60, doSample: false, precision: 'fp32' }));
    expect(allFull.generatedIds).toEqual(fp32Only.generatedIds);
  });

  it("opens dynamic precision's two variants apart from a plain run's, with workers that do not spin while the other runs", async () => {
    const own = new SessionPool<DecoderSession>(Infinity);
    const generator = new TextGenerator(folder, own);
    await generator.generate(request({ prompt: 'Once upon a time', maxNewTokens: 4, doSample: false, precision: 'fp32' }));
    await generator.generate(request({ prompt: 'Once upon a time', maxNewTokens: 4, doSample: false, dynamicPrecision: { cheap: 'int8', full: 'fp32', entropyThreshold: 1.5 } }));
    const spinning = own.keys().map((key) => `${path.basename(key.split('\0')[0]!)} spins ${key.split('\0').at(-1)}`);
    expect(spinning.sort()).toEqual(['model.onnx spins false', 'model.onnx spins true', 'model_int8.onnx spins false']);
    await own.closeAll();
  });
});

describe('attention window with sinks', () => {
  const folder = loadTextModelFolder(tinyStoriesOnnx());

  it('keeps the cache at sinks + window while positions keep counting', async () => {
    const generator = new TextGenerator(folder, pool);
    const prepared = await generator.prepare(request({ prompt: 'Once upon a time', maxNewTokens: 400, minNewTokens: 400, seed: 11, temperature: 0.7, window: 48, sinks: 4 }));
    const caches: KvCache[] = [];
    const inner = prepared.decoder;
    prepared.decoder = {
      emptyCache: () => inner.emptyCache(),
      forward: async (ids, cache) => {
        const step = await inner.forward(ids, cache);
        caches.push(step.cache);
        return step;
      },
    } satisfies DecoderStep;
    const windowed = await generator.run(prepared);
    expect(windowed.generatedIds).toHaveLength(400);
    expect(Math.max(...caches.map((c) => c.length))).toBe(52);
    expect(caches.at(-1)!.length + caches.at(-1)!.evicted).toBe(windowed.promptIds.length + 399);
  });

  it('writes stories about as likely as full attention, scored by the full-context model', async () => {
    const generator = new TextGenerator(folder, pool);
    const scorer = await DecoderSession.open(folder, findOperatingPoint(folder), 'cpu');
    const meanNll = async (window: number | undefined) => {
      let total = 0;
      for (const seed of [1, 2, 3, 4]) {
        const story = await generator.generate(request({ prompt: 'Once upon a time', maxNewTokens: 400, minNewTokens: 400, seed, temperature: 0.7, window }));
        const ids = [...story.promptIds, ...story.generatedIds];
        const rows = await teacherForcedLogits(scorer, ids);
        total += ids.slice(1).reduce((sum, id, i) => sum + negativeLogLikelihood(rows[i]!, id), 0) / (ids.length - 1);
      }
      return total / 4;
    };
    const [full, windowed] = [await meanNll(undefined), await meanNll(128)];
    expect(windowed).toBeLessThan(full * 1.2);
    await scorer.release();
  });

  it('matches full attention exactly until the first eviction', async () => {
    const generator = new TextGenerator(folder, pool);
    const windowed = await generator.generate(request({ maxNewTokens: 40, doSample: false, window: 36, sinks: 4 }));
    expect(windowed.generatedIds.slice(0, 39)).toEqual(referenceGreedy().output_ids.slice(1, 40));
  });

  it('generates past the model context when windowed', async () => {
    const generator = new TextGenerator(folder, pool);
    const result = await generator.generate(request({ maxNewTokens: 700, minNewTokens: 700, doSample: false, window: 128 }));
    expect(result.finishReason).toBe('length');
    expect(result.generatedIds).toHaveLength(700);
  });

  it('chooses W from the measured cost per cached position', async () => {
    const generator = new TextGenerator(folder, pool);
    const result = await generator.generate(request({ maxNewTokens: 5, window: 'auto' }));
    expect(result.config.window!.sinks).toBe(4);
    expect(result.config.window!.window).toBeGreaterThanOrEqual(64);
    expect(result.config.window!.window).toBeLessThanOrEqual(508);
  });
});

describe('prompting knobs', () => {
  it('renders chat messages through the model chat template', async () => {
    const dir = copyModel(tinyStoriesOnnx());
    const configFile = path.join(dir, 'tokenizer_config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
    const chatTemplate = "{{ bos_token }}{% for m in messages %}{% if m.role == 'system' %}{{ m.content }} {% else %}{{ m.content }}{% endif %}{% endfor %}";
    fs.writeFileSync(configFile, JSON.stringify({ ...config, chat_template: chatTemplate }));
    const generator = new TextGenerator(loadTextModelFolder(dir), pool);
    const ids = generator.encodePrompt({ messages: [{ role: 'system', content: 'Once upon' }, { role: 'user', content: 'a time' }] });
    expect(ids.filter((id) => id === 1)).toEqual([1]);
    expect(ids[0]).toBe(1);
    const tokenizer = new TextTokenizer(generator.folder.tokenizerJson, generator.folder.tokenizerConfig, 'copy');
    expect(tokenizer.decode(ids)).toBe('Once upon a time');
  });

  it('renders chat for a model without a template through the story default, tokenized as the same prompt would be', () => {
    const plain = new TextGenerator(loadTextModelFolder(tinyStoriesOnnx()), pool);
    const messages = [
      { role: 'system' as const, content: 'A story.' },
      { role: 'user' as const, content: 'Once upon a time' },
    ];
    expect(plain.encodePrompt({ messages })).toEqual(plain.encodePrompt({ prompt: 'A story.\n\nOnce upon a time' }));
  });

  it('ends at a stop string and leaves it out, in the streamed text too', async () => {
    const generator = new TextGenerator(loadTextModelFolder(tinyStoriesOnnx()), pool);
    const pieces: string[] = [];
    const result = await generator.generate(request({ maxNewTokens: 40, doSample: false, stop: ['Lily'] }), { onText: (t) => pieces.push(t) });
    expect(result.finishReason).toBe('stop');
    expect(result.text).toBe('Once upon a time, there was a little girl named ');
    expect(pieces.join('')).toBe(result.text);
  });

  it('repetition penalty changes greedy choices and min-p narrows sampling', async () => {
    const generator = new TextGenerator(loadTextModelFolder(tinyStoriesOnnx()), pool);
    const plain = await generator.generate(request({ maxNewTokens: 60, doSample: false }));
    const penalised = await generator.generate(request({ maxNewTokens: 60, doSample: false, repetitionPenalty: 1.5 }));
    expect(penalised.generatedIds).not.toEqual(plain.generatedIds);
    const strict = await generator.generate(request({ maxNewTokens: 40, seed: 5, temperature: 1, topK: 0, minP: 0.999 }));
    expect(strict.generatedIds).toEqual(plain.generatedIds.slice(0, 40));
  });
});

describe('depth exits declared by pareto.json', () => {
  it('runs the file of the requested depth and says so', async () => {
    const dir = copyModel(fixtureVariants());
    const manifest = {
      schemaVersion: 1,
      kind: 'text',
      family: 'test',
      name: 'exit test',
      operatingPoints: [
        { precision: 'fp32', depth: 2, file: 'onnx/model.onnx', quality: { bitsPerByte: 1.1 } },
        { precision: 'fp32', depth: 1, file: 'onnx/model_int8.onnx', quality: { bitsPerByte: 1.3 } },
      ],
    };
    fs.writeFileSync(path.join(dir, 'pareto.json'), JSON.stringify(manifest));
    const folder = loadTextModelFolder(dir);
    expect(folder.points.map((p) => `${p.precision}@${p.depth}`)).toEqual(['fp32@2', 'fp32@1']);
    const generator = new TextGenerator(folder, pool);
    const shallow = await generator.prepare(request({ maxNewTokens: 3, depth: 1 }));
    expect(shallow.primary.point.path).toBe(path.join(dir, 'onnx', 'model_int8.onnx'));
    expect(shallow.config.depth).toBe(1);
    await generator.run(shallow);
    await expect(generator.prepare(request({ depth: 5 }))).rejects.toThrowError(/no fp32 exit at depth 5; its depths are 2, 1/);
    fs.writeFileSync(path.join(dir, 'pareto.json'), JSON.stringify({ ...manifest, operatingPoints: [{ precision: 'fp32', file: '../../etc/passwd' }] }));
    expect(() => loadTextModelFolder(dir)).toThrowError(/outside the package/);
  });
});

describe('spelled-out end markers', () => {
  it('ends the story at the end token written as text, and leaves the marker out', async () => {
    const generator = new TextGenerator(loadTextModelFolder(tinyStoriesOnnx()), pool);
    const result = await generator.generate(request({ prompt: 'Once upon a time, a little fox', maxNewTokens: 300, seed: 4, temperature: 0.8 }));
    expect(result.finishReason).toBe('eos');
    expect(result.text).not.toContain('<|');
    expect(result.text.trim().length).toBeGreaterThan(50);
  });
});
