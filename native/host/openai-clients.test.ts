import { createOpenAICompatible, type MetadataExtractor } from '@ai-sdk/openai-compatible';
import { HumanMessage, SystemMessage, type AIMessageChunk } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { generateImage, generateText, streamText } from 'ai';
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { StudioEvent } from '../contract';
import { decodePng } from '../engine/png/png';
import { apiServerForTests } from '../testing/api-server';
import { bundledModels, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';

/** The real clients developers use, against a running server: each on a bundled model and on the 656K fixture. */
const MODELS = ['pareto-stories-student-s', 'tinystories-656k-onnx'];
const SYSTEM = 'A short story for a small child.';
const OPENING = 'Once upon a time, there was a little bird';

const api = apiServerForTests(() => ({ dataDir: temporaryDir(), bundledModelsDir: bundledModels(), modelPaths: [tinyStoriesOnnx()] }));

/** Hands the server's `pareto` extension (point, template, cost) to the AI SDK as provider metadata. */
const paretoMetadata: MetadataExtractor = {
  extractMetadata: async ({ parsedBody }) => ({ pareto: (parsedBody as { pareto: Record<string, never> }).pareto }),
  createStreamExtractor: () => {
    let pareto: Record<string, never> | undefined;
    return {
      processChunk: (chunk) => (pareto = (chunk as { pareto?: Record<string, never> }).pareto ?? pareto),
      buildMetadata: () => (pareto ? { pareto } : undefined),
    };
  },
};

const aiSdk = () => createOpenAICompatible({ name: 'pareto', baseURL: api.baseURL, apiKey: api.server.token, includeUsage: true, metadataExtractor: paretoMetadata });
const langChain = (model: string, fields: { maxTokens?: number; modelKwargs?: Record<string, unknown> } = {}) =>
  new ChatOpenAI({ model, apiKey: api.server.token, configuration: { baseURL: api.baseURL }, temperature: 0, maxTokens: 40, streamUsage: true, maxRetries: 0, ...fields });

/**
 * Records, for each text piece a client receives, whether the host had already finished the job: pieces
 * that arrive before the job's `done` event were sent as they were generated, not buffered to the end.
 */
function watchDelivery() {
  let finished = 0;
  const off = api.host.onEvent((event: StudioEvent) => {
    if (event.type === 'done') finished++;
  });
  const arrivals: boolean[] = [];
  return {
    received: () => arrivals.push(finished > 0),
    beforeTheEnd: () => arrivals.filter((afterDone) => !afterDone).length,
    count: () => arrivals.length,
    stop: off,
  };
}

describe.each(MODELS)('clients against %s', (model) => {
  it('openai: chat, whole and streamed, with usage', async () => {
    const { client } = api;
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'system', content: SYSTEM }, { role: 'user', content: OPENING }];
    const whole = await client.chat.completions.create({ model, messages, max_tokens: 30, temperature: 0 });
    expect(whole.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(whole.usage!.completion_tokens).toBeGreaterThan(0);
    const delivery = watchDelivery();
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    const stream = await client.chat.completions.create({ model, messages, max_tokens: 30, temperature: 0, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) delivery.received();
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    delivery.stop();
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(usage).toEqual(whole.usage);
  });

  it('Vercel AI SDK: generateText with a system prompt and messages, usage and the cost', async () => {
    const result = await generateText({
      model: aiSdk().chatModel(model),
      system: SYSTEM,
      messages: [{ role: 'user', content: OPENING }],
      maxOutputTokens: 30,
      temperature: 0,
    });
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.usage.totalTokens).toBe(result.usage.inputTokens! + result.usage.outputTokens!);
    const pareto = result.providerMetadata!.pareto as unknown as { model: string; cost: { ms_per_token: number } };
    expect(pareto.model).toBe(model);
    expect(pareto.cost.ms_per_token).toBeGreaterThan(0);
  });

  it('Vercel AI SDK: streamText delivers text as it is generated, then usage', async () => {
    const delivery = watchDelivery();
    const result = streamText({ model: aiSdk().chatModel(model), system: SYSTEM, prompt: OPENING, maxOutputTokens: 300, temperature: 0, providerOptions: { pareto: { min_tokens: 300 } } });
    let text = '';
    for await (const piece of result.textStream) {
      delivery.received();
      text += piece;
    }
    delivery.stop();
    expect(text).toBe(await result.text);
    // Text reached the client before the host finished the run: streamed, not buffered to the end (how many
    // pieces depends on the coalescing interval and how fast this machine writes 300 tokens).
    expect(delivery.count()).toBeGreaterThan(1);
    expect(delivery.beforeTheEnd()).toBeGreaterThan(0);
    const usage = await result.usage;
    expect(usage.outputTokens).toBe(300);
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(((await result.providerMetadata)!.pareto as unknown as { cost: { ttft_ms: number } }).cost.ttft_ms).toBeGreaterThan(0);
  });

  it('LangChain ChatOpenAI: invoke with a system message, with usage', async () => {
    const reply = await langChain(model).invoke([new SystemMessage(SYSTEM), new HumanMessage(OPENING)]);
    expect(typeof reply.content === 'string' && reply.content.length).toBeGreaterThan(0);
    expect(reply.usage_metadata!.output_tokens).toBeGreaterThan(0);
    expect(reply.usage_metadata!.total_tokens).toBe(reply.usage_metadata!.input_tokens + reply.usage_metadata!.output_tokens);
  });

  it('LangChain ChatOpenAI: stream delivers chunks as they are generated, then usage', async () => {
    const delivery = watchDelivery();
    // min_tokens (an extension, through modelKwargs) keeps the story going long enough to see it stream.
    const chat = langChain(model, { maxTokens: 300, modelKwargs: { min_tokens: 300 } });
    let whole: AIMessageChunk | undefined;
    for await (const chunk of await chat.stream([new SystemMessage(SYSTEM), new HumanMessage(OPENING)])) {
      if (chunk.content) delivery.received();
      whole = whole ? whole.concat(chunk) : chunk;
    }
    delivery.stop();
    expect(String(whole!.content).length).toBeGreaterThan(0);
    expect(delivery.beforeTheEnd()).toBeGreaterThan(0);
    expect(whole!.usage_metadata!.output_tokens).toBe(300);
  });
});

describe('Vercel AI SDK: generateImage against the bundled emoji student', () => {
  it('gets a PNG it can decode, the same bytes for the same seed', async () => {
    const make = (seed: number) =>
      generateImage({ model: aiSdk().imageModel('pareto-emoji-student'), prompt: 'a smiling face', size: '64x64', providerOptions: { pareto: { seed } } });
    const [first, again, other] = [await make(5), await make(5), await make(6)];
    expect(first.image.mediaType).toBe('image/png');
    expect(decodePng(first.image.uint8Array)).toMatchObject({ width: 64, height: 64 });
    expect(again.image.base64).toBe(first.image.base64);
    expect(other.image.base64).not.toBe(first.image.base64);
  });
});
