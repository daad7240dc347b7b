import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { StudioEvent, TextGenerationRequest, TextResult } from '../contract';
import type { ParetoTextInfo } from '../contract/openai';
import { runTextJob } from '../cli/run-text-job';
import { apiServerForTests } from '../testing/api-server';
import { copyModel, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';

const MODEL = 'tinystories-656k-onnx';
const CHAT_MODEL = 'tinystories-chat';
const GREEDY_START = 'Once upon a time, there was a little girl named Lily';


/** A copy of the fixture with a simple chat template, under its own name (its id in /v1/models). */
function chatModel(): string {
  const copy = copyModel(tinyStoriesOnnx());
  const target = path.join(path.dirname(copy), CHAT_MODEL);
  fs.renameSync(copy, target);
  const configFile = path.join(target, 'tokenizer_config.json');
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  config.chat_template = '{{ bos_token }}{% for m in messages %}{{ m.content }} {% endfor %}';
  fs.writeFileSync(configFile, JSON.stringify(config));
  return target;
}

const api = apiServerForTests(() => ({ dataDir: temporaryDir(), bundledModelsDir: null, modelPaths: [tinyStoriesOnnx(), chatModel()] }));

/** The same generation through the studio's own API, for comparison. */
const direct = (request: Partial<TextGenerationRequest>): Promise<TextResult> => runTextJob(api.host, { model: MODEL, ...request } as TextGenerationRequest);

const jobIdOf = (id: string) => id.replace(/^(chat)?cmpl-/, '');

describe('OpenAI-compatible API: models', () => {
  it('lists the text models', async () => {
    const models = await api.client.models.list();
    expect(models.data.map((model) => model.id).sort()).toEqual([MODEL, CHAT_MODEL]);
    for (const model of models.data) {
      expect(model).toMatchObject({ object: 'model', owned_by: 'pareto-studio' });
      expect(Number.isInteger(model.created)).toBe(true);
    }
    const fixture = await api.client.models.retrieve(MODEL);
    expect(fixture).toMatchObject({
      id: MODEL,
      pareto: { kind: 'text', is_family: false, family: null, models: [MODEL], precisions: ['fp32'], context_length: 512, operating_points: [{ model: MODEL, precision: 'fp32', bits_per_byte: null }] },
    });
  });
});

describe('OpenAI-compatible API: completions', () => {
  it('gives the same text as the host at temperature 0, with usage', async () => {
    const completion = await api.client.completions.create({ model: MODEL, prompt: '', max_tokens: 24, temperature: 0 });
    const reference = await direct({ prompt: '', maxNewTokens: 24, doSample: false });
    expect(completion.object).toBe('text_completion');
    expect(completion.id).toMatch(/^cmpl-/);
    expect(completion.model).toBe(MODEL);
    expect(completion.choices).toHaveLength(1);
    const [choice] = completion.choices;
    expect(choice!.text.startsWith(GREEDY_START)).toBe(true);
    expect(choice!.text).toBe(reference.text);
    expect(choice).toMatchObject({ index: 0, finish_reason: 'length', logprobs: null });
    expect(completion.usage).toEqual({ prompt_tokens: reference.promptIds.length, completion_tokens: 24, total_tokens: reference.promptIds.length + 24 });
  });

  it('defaults max_tokens to 16, as OpenAI does', async () => {
    const completion = await api.client.completions.create({ model: MODEL, prompt: 'The cat', temperature: 0 });
    expect(completion.usage?.completion_tokens).toBe(16);
  });

  it('streams chunks that join to the whole text, the finish reason last', async () => {
    const whole = await api.client.completions.create({ model: MODEL, prompt: 'Tom had a ball.', max_tokens: 40, temperature: 0 });
    const stream = await api.client.completions.create({ model: MODEL, prompt: 'Tom had a ball.', max_tokens: 40, temperature: 0, stream: true });
    const chunks: OpenAI.Completion[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((chunk) => chunk.object === 'text_completion' && chunk.id === chunks[0]!.id)).toBe(true);
    expect(chunks.map((chunk) => chunk.choices[0]!.text).join('')).toBe(whole.choices[0]!.text);
    expect(chunks.slice(0, -1).every((chunk) => chunk.choices[0]!.finish_reason === null)).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('length');
  });

  it('reports usage at the end of a stream when asked', async () => {
    const stream = await api.client.completions.create({ model: MODEL, prompt: '', max_tokens: 5, temperature: 0, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Completion[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 5, total_tokens: 6 } });
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('length');
  });

  it('stops at a stop sequence and leaves it out, whole and streamed', async () => {
    const completion = await api.client.completions.create({ model: MODEL, prompt: '', max_tokens: 40, temperature: 0, stop: [' little', 'zzz'] });
    expect(completion.choices[0]).toMatchObject({ text: 'Once upon a time, there was a', finish_reason: 'stop' });
    const stream = await api.client.completions.create({ model: MODEL, prompt: '', max_tokens: 40, temperature: 0, stop: ' little', stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]!.text;
      finish = chunk.choices[0]!.finish_reason;
    }
    expect(text).toBe('Once upon a time, there was a');
    expect(finish).toBe('stop');
  });

  it('samples reproducibly for a seed', async () => {
    const sample = async (seed: number) => (await api.client.completions.create({ model: MODEL, prompt: 'Once', max_tokens: 30, temperature: 1, seed })).choices[0]!.text;
    const first = await sample(42);
    expect(await sample(42)).toBe(first);
    const others = await Promise.all([1, 2, 3].map(sample));
    expect(others.some((text) => text !== first)).toBe(true);
  });

  it('answers n choices, one run each, with the prompt counted once', async () => {
    const completion = await api.client.completions.create({ model: MODEL, prompt: 'Once', max_tokens: 12, temperature: 1, seed: 5, n: 3 });
    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    expect(new Set(completion.choices.map((choice) => choice.text)).size).toBe(3);
    const again = await api.client.completions.create({ model: MODEL, prompt: 'Once', max_tokens: 12, temperature: 1, seed: 5, n: 3 });
    expect(again.choices.map((choice) => choice.text)).toEqual(completion.choices.map((choice) => choice.text));
    const prompt = completion.usage!.prompt_tokens;
    expect(completion.usage).toEqual({ prompt_tokens: prompt, completion_tokens: 36, total_tokens: prompt + 36 });
  });

  it('streams n choices, each ending with its own finish reason', async () => {
    const stream = await api.client.completions.create({ model: MODEL, prompt: '', max_tokens: 6, temperature: 0, n: 2, stream: true });
    const texts = ['', ''];
    const finishes: (string | null)[] = [null, null];
    for await (const chunk of stream) {
      const [choice] = chunk.choices;
      texts[choice!.index] += choice!.text;
      finishes[choice!.index] ??= choice!.finish_reason;
    }
    expect(texts[0]).toBe(texts[1]);
    expect(texts[0]!.startsWith('Once upon a time')).toBe(true);
    expect(finishes).toEqual(['length', 'length']);
  });

  it('gives logprobs: each greedy token its own top-1, as the engine computed them', async () => {
    const completion = await api.client.completions.create({ model: MODEL, prompt: 'Tom', max_tokens: 10, temperature: 0, logprobs: 3 });
    const reference = await direct({ prompt: 'Tom', maxNewTokens: 10, doSample: false, logprobs: 3 });
    const logprobs = completion.choices[0]!.logprobs!;
    expect(logprobs.tokens).toEqual(reference.logprobs!.map((entry) => entry.token));
    expect(logprobs.tokens!.join('')).toBe(completion.choices[0]!.text);
    expect(logprobs.token_logprobs).toEqual(reference.logprobs!.map((entry) => entry.logprob));
    logprobs.top_logprobs!.forEach((top, i) => {
      expect(Object.keys(top)).toHaveLength(3);
      expect(Math.max(...Object.values(top))).toBe(logprobs.token_logprobs![i]);
      expect(top[logprobs.tokens![i]!]).toBe(logprobs.token_logprobs![i]);
    });
    expect(logprobs.text_offset![1]).toBe(logprobs.tokens![0]!.length);
  });

  it('maps logit_bias onto the engine, and names it when a token id is out of range', async () => {
    const greedy = await direct({ prompt: '', maxNewTokens: 12, doSample: false });
    const banned = String(greedy.generatedIds[0]);
    const completion = await api.client.completions.create({ model: MODEL, prompt: '', max_tokens: 12, temperature: 0, logit_bias: { [banned]: -100 } });
    expect(completion.choices[0]!.text).toBe((await direct({ prompt: '', maxNewTokens: 12, doSample: false, logitBias: { [banned]: -100 } })).text);
    expect(completion.choices[0]!.text).not.toBe(greedy.text);
    for (const logit_bias of [{ '32000': 1 }, { '5': 101 }, { five: 1 }] as Record<string, number>[]) {
      const failure = await api.client.completions.create({ model: MODEL, prompt: '', logit_bias }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
      expect((failure as InstanceType<typeof OpenAI.BadRequestError>).param).toMatch(/^logit_bias/);
    }
  });

  it('maps presence and frequency penalties onto the engine', async () => {
    const completion = await api.client.completions.create({ model: MODEL, prompt: '', max_tokens: 40, temperature: 0, presence_penalty: 1, frequency_penalty: 0.5 });
    const reference = await direct({ prompt: '', maxNewTokens: 40, doSample: false, presencePenalty: 1, frequencyPenalty: 0.5 });
    expect(completion.choices[0]!.text).toBe(reference.text);
    expect(reference.text).not.toBe((await direct({ prompt: '', maxNewTokens: 40, doSample: false })).text);
  });

  it('says what the answer cost and at which point it ran', async () => {
    const completion = (await api.client.completions.create({ model: MODEL, prompt: 'Lily', max_tokens: 20, temperature: 0 })) as OpenAI.Completion & { pareto: ParetoTextInfo };
    expect(completion.pareto).toMatchObject({ model: MODEL, family: null, chat_template: null, point: { precision: 'fp32', window: null, ep: 'cpu' }, lambda_choice: null });
    const { cost } = completion.pareto;
    expect(cost.ttft_ms).toBeGreaterThan(0);
    expect(cost.ms_per_token).toBeGreaterThan(0);
    expect(cost.tokens_per_second).toBeGreaterThan(0);
    expect(cost.peak_rss_mb).toBeGreaterThan(0);
    // No energy counter here: the figure is the meter's labelled estimate, with its range.
    expect(cost.energy_j).toBeGreaterThan(0);
    expect(cost.energy_source).toMatch(/^estimated:/);
    expect(cost.energy_estimated).toBe(true);
    expect(cost.energy_j_range!.low).toBeLessThan(cost.energy_j!);
    expect(cost.energy_j_range!.high).toBeGreaterThan(cost.energy_j!);
    expect(cost.joules_per_output).toBeCloseTo(cost.energy_j! / completion.usage!.completion_tokens, 9);
  });

  it('puts the cost on the last chunk of a stream with include_usage', async () => {
    const stream = await api.client.completions.create({ model: MODEL, prompt: '', max_tokens: 8, temperature: 0, stream: true, stream_options: { include_usage: true } });
    const chunks: (OpenAI.Completion & { pareto?: ParetoTextInfo })[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 8 }, pareto: { model: MODEL, point: { precision: 'fp32' } } });
    expect(chunks.at(-1)!.pareto!.cost.ms_per_token).toBeGreaterThan(0);
    expect(chunks.slice(0, -2).every((chunk) => chunk.pareto === undefined)).toBe(true);
  });

  it('passes the studio extensions through', async () => {
    const completion = await api.client.completions.create({ model: MODEL, prompt: '', max_tokens: 30, temperature: 0, repetition_penalty: 1.5 } as OpenAI.CompletionCreateParamsNonStreaming);
    const reference = await direct({ prompt: '', maxNewTokens: 30, doSample: false, repetitionPenalty: 1.5 });
    expect(completion.choices[0]!.text).toBe(reference.text);
    expect(completion.choices[0]!.text).not.toBe((await direct({ prompt: '', maxNewTokens: 30, doSample: false })).text);
  });
});

describe('OpenAI-compatible API: chat completions', () => {
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'Write a story.' },
    { role: 'user', content: [{ type: 'text', text: 'Once upon a time,' }, { type: 'text', text: ' there was a dog' }] },
  ];

  it('answers through the model chat template', async () => {
    const completion = await api.client.chat.completions.create({ model: CHAT_MODEL, messages, max_completion_tokens: 30, temperature: 0 });
    const reference = await direct({
      model: CHAT_MODEL,
      messages: [
        { role: 'system', content: 'Write a story.' },
        { role: 'user', content: 'Once upon a time, there was a dog' },
      ],
      maxNewTokens: 30,
      doSample: false,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.choices[0]).toMatchObject({ index: 0, message: { role: 'assistant', content: reference.text }, logprobs: null });
    expect(reference.text.length).toBeGreaterThan(0);
    expect(completion.choices[0]!.finish_reason).toBe(reference.finishReason === 'length' ? 'length' : 'stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: reference.promptIds.length, completion_tokens: reference.generatedIds.length });
  });

  it('streams a role, then content, then the finish reason', async () => {
    const whole = await api.client.chat.completions.create({ model: CHAT_MODEL, messages, max_tokens: 30, temperature: 0 });
    const stream = await api.client.chat.completions.create({ model: CHAT_MODEL, messages, max_tokens: 30, temperature: 0, stream: true });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant' });
    expect(chunks.slice(1, -1).map((chunk) => chunk.choices[0]!.delta.content).join('')).toBe(whole.choices[0]!.message.content);
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ delta: {}, finish_reason: whole.choices[0]!.finish_reason });
  });

  it('frames the stream as server-sent events ending in [DONE]', async () => {
    const response = await fetch(`${api.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${api.server.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 3, stream: true }),
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = (await response.text()).split('\n\n').filter(Boolean);
    expect(events.every((event) => event.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
  });

  it('answers chat for a model without a template through the story default, and says so', async () => {
    const conversation: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'A story.' },
      { role: 'user', content: 'Once upon a time, there was a cat' },
    ];
    const completion = (await api.client.chat.completions.create({ model: MODEL, messages: conversation, max_tokens: 20, temperature: 0 })) as OpenAI.ChatCompletion & { pareto: ParetoTextInfo };
    const reference = await direct({ prompt: 'A story.\n\nOnce upon a time, there was a cat', maxNewTokens: 20, doSample: false });
    expect(completion.choices[0]!.message.content).toBe(reference.text);
    expect(completion.usage?.prompt_tokens).toBe(reference.promptIds.length);
    expect(completion.pareto.chat_template).toBe('story-default');
    const own = (await api.client.chat.completions.create({ model: CHAT_MODEL, messages: conversation, max_tokens: 2 })) as OpenAI.ChatCompletion & { pareto: ParetoTextInfo };
    expect(own.pareto.chat_template).toBe('model');
  });

  it('gives chat logprobs with top alternatives, whole and streamed', async () => {
    const body = { model: MODEL, messages: [{ role: 'user' as const, content: 'Tom' }], max_tokens: 12, temperature: 0, logprobs: true, top_logprobs: 2 };
    const whole = await api.client.chat.completions.create(body);
    const content = whole.choices[0]!.logprobs!.content!;
    expect(content.map((entry) => entry.token).join('')).toBe(whole.choices[0]!.message.content);
    for (const entry of content) {
      expect(entry.top_logprobs).toHaveLength(2);
      expect(entry.top_logprobs[0]).toEqual({ token: entry.token, logprob: entry.logprob, bytes: [...Buffer.from(entry.token)] });
      expect(entry.top_logprobs[1]!.logprob).toBeLessThanOrEqual(entry.logprob);
    }
    const streamed: OpenAI.ChatCompletionTokenLogprob[] = [];
    for await (const chunk of await api.client.chat.completions.create({ ...body, stream: true })) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    expect(streamed).toEqual(content);
  });
});

describe('OpenAI-compatible API: errors', () => {
  it('answers an unknown model with 404 and the known ids', async () => {
    const failure = await api.client.completions.create({ model: 'gpt-4o', prompt: 'Hi' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
    const error = failure as InstanceType<typeof OpenAI.NotFoundError>;
    expect(error.status).toBe(404);
    expect(error.message).toContain(`Known text models: ${MODEL}`);
    expect(error.param).toBe('model');
    expect(error.code).toBe('model_not_found');
  });

  it.each([
    ['n', { n: 9 }],
    ['n', { n: 0 }],
    ['temperature', { temperature: 3 }],
    ['presence_penalty', { presence_penalty: 2.5 }],
    ['frequency_penalty', { frequency_penalty: -3 }],
    ['logprobs', { logprobs: 21 }],
    ['echo', { echo: true, logprobs: 1 }],
    ['pareto.lambda', { pareto: { lambda: 0.5 } }],
    ['pareto.window', { pareto: { window: 'wide' } }],
    ['prompt', { prompt: ['one', 'two'] }],
    ['prompt', { prompt: [1, 2, 3] }],
    ['max_tokens', { max_tokens: 0 }],
  ])('answers a bad %s with 400 naming it', async (param, fields) => {
    const failure = await api.client.completions.create({ model: MODEL, prompt: 'Hi', ...fields } as OpenAI.CompletionCreateParamsNonStreaming).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(param);
  });

  it('answers a bad chat top_logprobs with 400 naming it', async () => {
    const failure = await api.client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], top_logprobs: 2 }).catch((error: unknown) => error);
    expect((failure as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('top_logprobs');
  });

  it('answers images asked of a text model, or of a server without image models, naming the model', async () => {
    const wrongKind = await api.client.images.generate({ model: MODEL, prompt: 'a cat' }).catch((error: unknown) => error);
    expect(wrongKind).toBeInstanceOf(OpenAI.BadRequestError);
    expect((wrongKind as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('model');
    expect((wrongKind as Error).message).toContain('/v1/chat/completions');
    const none = await api.client.images.generate({ prompt: 'a cat' }).catch((error: unknown) => error);
    expect(none).toBeInstanceOf(OpenAI.NotFoundError);
    expect((await api.client.models.list()).data.length).toBe(2); // still serving
  });

  it('answers a wrong API key with 401 in OpenAI error shape', async () => {
    const stranger = new OpenAI({ apiKey: 'wrong', baseURL: api.baseURL, maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const response = await fetch(`${api.baseURL}/models`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { type: 'authentication_error', code: 'invalid_api_key', param: null } });
  });

  it('answers an unknown route with 404 and the studio API is untouched', async () => {
    const response = await fetch(`${api.baseURL}/embeddings`, { method: 'POST', headers: { Authorization: `Bearer ${api.server.token}` }, body: '{}' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('POST /v1/chat/completions');
    const studio = await fetch(`http://127.0.0.1:${api.server.port}/api/listModels`, { method: 'POST', headers: { Authorization: `Bearer ${api.server.token}` } });
    expect(studio.status).toBe(200);
  });
});

describe('OpenAI-compatible API: cancellation', () => {
  it('cancels the host job when a streaming client goes away', async () => {
    const done = new Map<string, TextResult>();
    let tokensAfterAbort = 0;
    let aborted = false;
    const unsubscribe = api.host.onEvent((event: StudioEvent) => {
      if (event.type === 'done') done.set(event.jobId, event.result);
      if (event.type === 'tokens' && aborted) tokensAfterAbort++;
    });
    try {
      const controller = new AbortController();
      // min_tokens keeps the end-of-story token away, so only the context (512) would end it.
      const stream = await api.client.completions.create(
        { model: MODEL, prompt: '', max_tokens: 5000, min_tokens: 5000, temperature: 0, stream: true } as OpenAI.CompletionCreateParamsStreaming,
        { signal: controller.signal },
      );
      let jobId = '';
      for await (const chunk of stream) {
        jobId = jobIdOf(chunk.id);
        controller.abort(); // The `openai` client ends the iteration quietly on abort.
        aborted = true;
      }
      expect(jobId).not.toBe('');
      await expect.poll(() => done.get(jobId), { timeout: 10_000 }).toBeDefined();
      const result = done.get(jobId)!;
      expect(result.finishReason).toBe('cancelled');
      expect(result.generatedIds.length).toBeLessThan(400);
      const settled = tokensAfterAbort;
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(tokensAfterAbort).toBe(settled);
    } finally {
      unsubscribe();
    }
  });

  it('cancels the host job when a client waiting for a whole answer goes away', async () => {
    const controller = new AbortController();
    const results = new Map<string, TextResult>();
    let jobId = '';
    const unsubscribe = api.host.onEvent((event: StudioEvent) => {
      if (event.type === 'tokens' && !jobId) {
        jobId = event.jobId;
        controller.abort();
      }
      if (event.type === 'done') results.set(event.jobId, event.result);
    });
    try {
      const request = api.client.completions.create(
        { model: MODEL, prompt: '', max_tokens: 5000, min_tokens: 5000, temperature: 0 } as OpenAI.CompletionCreateParamsNonStreaming,
        { signal: controller.signal },
      );
      await expect(request).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
      await expect.poll(() => results.get(jobId), { timeout: 10_000 }).toBeDefined();
      expect(results.get(jobId)!.finishReason).toBe('cancelled');
    } finally {
      unsubscribe();
    }
  });
});
