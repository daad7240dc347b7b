import fs from 'node:fs';
import type http from 'node:http';
import type { z } from 'zod';
import type { ModelInfo, TextGenerationRequest, TextResult } from '../contract';
import {
  ChatCompletionRequestSchema,
  CompletionRequestSchema,
  OPENAI_ROUTES,
  type ChatCompletion,
  type ChatCompletionChunk,
  type Completion,
  type OpenAiFinishReason,
  type OpenAiModel,
  type OpenAiModelList,
} from '../contract/openai';
import { startHostJob } from './openai/host-job';
import { OpenAiError, SseWriter, fromZodError, sendJson, sendOpenAiError } from './openai/http';
import { chatToStudio, completionToStudio, finishReason, usageOf } from './openai/requests';
import type { StudioHost } from './studio-host';
import { readJsonBody, type ExtraRoute } from './web-server';

const ROUTE_LIST = 'GET /v1/models, POST /v1/completions and POST /v1/chat/completions';

interface ResponseMeta {
  id: string;
  created: number;
  model: string;
}

/** What differs between the two generation endpoints: the id prefix and the shapes of whole answers and stream chunks. */
interface ResponseShape {
  idPrefix: 'cmpl' | 'chatcmpl';
  /** Chunks a stream opens with, before any text. */
  opening(meta: ResponseMeta): object[];
  piece(meta: ResponseMeta, text: string): object;
  last(meta: ResponseMeta, finish: OpenAiFinishReason): object;
  whole(meta: ResponseMeta, result: TextResult): object;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function completionShape(echo: string | null): ResponseShape {
  const chunk = (meta: ResponseMeta, text: string, finish: OpenAiFinishReason | null): Completion => ({
    ...meta,
    object: 'text_completion',
    choices: [{ index: 0, text, finish_reason: finish, logprobs: null }],
  });
  return {
    idPrefix: 'cmpl',
    opening: (meta) => (echo ? [chunk(meta, echo, null)] : []),
    piece: (meta, text) => chunk(meta, text, null),
    last: (meta, finish) => chunk(meta, '', finish),
    whole: (meta, result) => ({ ...chunk(meta, (echo ?? '') + result.text, finishReason(result.finishReason)), usage: usageOf(result) }),
  };
}

const chatShape: ResponseShape = (() => {
  const chunk = (meta: ResponseMeta, delta: ChatCompletionChunk['choices'][number]['delta'], finish: OpenAiFinishReason | null): ChatCompletionChunk => ({
    ...meta,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  return {
    idPrefix: 'chatcmpl',
    opening: (meta) => [chunk(meta, { role: 'assistant' }, null)],
    piece: (meta, text) => chunk(meta, { content: text }, null),
    last: (meta, finish) => chunk(meta, {}, finish),
    whole: (meta, result): ChatCompletion => ({
      ...meta,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: result.text, refusal: null }, finish_reason: finishReason(result.finishReason), logprobs: null }],
      usage: usageOf(result),
    }),
  };
})();

async function textModels(host: StudioHost): Promise<ModelInfo[]> {
  return (await host.invoke('listModels')).filter((model) => model.kind === 'text');
}

function describeModel(model: ModelInfo): OpenAiModel {
  let created = nowSeconds();
  try {
    created = Math.floor(fs.statSync(model.path).mtimeMs / 1000);
  } catch {
    // A folder gone since it was listed still gets an entry; the generation request will say what is wrong.
  }
  return { id: model.id, object: 'model', created, owned_by: 'pareto-studio' };
}

/** The registered text model named by a request; a 404 listing the known ids otherwise. */
async function findModel(host: StudioHost, id: string): Promise<ModelInfo> {
  const models = await textModels(host);
  const model = models.find((candidate) => candidate.id === id);
  if (model) return model;
  const known = models.length ? `Known models: ${models.map((candidate) => candidate.id).join(', ')}.` : 'No text models are installed: start `pareto serve --model DIR`.';
  throw new OpenAiError(404, `The model "${id}" does not exist. ${known}`, 'not_found_error', 'model', 'model_not_found');
}

async function parseBody<S extends z.ZodType>(request: http.IncomingMessage, schema: S): Promise<z.output<S>> {
  const body = await readJsonBody(request);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OpenAiError(400, 'The request body must be a JSON object.');
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw fromZodError(parsed.error);
  return parsed.data;
}

/**
 * Runs one generation on the host and answers it, whole or as a stream. The job is cancelled as soon
 * as the client goes away, so a disconnected client stops generation within one token.
 */
async function generate(
  host: StudioHost,
  response: http.ServerResponse,
  studioRequest: TextGenerationRequest,
  options: { stream: boolean; includeUsage: boolean },
  shape: ResponseShape,
): Promise<void> {
  const client = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) client.abort();
  });
  const job = await startHostJob(host, studioRequest, client.signal);
  const meta: ResponseMeta = { id: `${shape.idPrefix}-${job.jobId}`, created: nowSeconds(), model: studioRequest.model ?? '' };

  const sse = options.stream ? new SseWriter(response) : null;
  // With include_usage, OpenAI puts `usage: null` on every chunk and the totals on a last chunk without choices.
  const usage = options.includeUsage ? { usage: null } : {};
  if (sse) {
    for (const chunk of shape.opening(meta)) sse.data({ ...chunk, ...usage });
    job.onText((text) => sse.data({ ...shape.piece(meta, text), ...usage }));
  }
  let result: TextResult;
  try {
    result = await job.result;
  } catch (error) {
    if (client.signal.aborted) return;
    if (!sse) throw error;
    return sse.fail(error);
  }
  if (client.signal.aborted) return;
  if (!sse) return sendJson(response, 200, shape.whole(meta, result));
  sse.data({ ...shape.last(meta, finishReason(result.finishReason)), ...usage });
  if (options.includeUsage) sse.data({ ...shape.last(meta, 'stop'), choices: [], usage: usageOf(result) });
  sse.done();
}

async function route(host: StudioHost, request: http.IncomingMessage, response: http.ServerResponse, url: URL): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '');
  const expect = (method: 'GET' | 'POST') => {
    if (request.method !== method) throw new OpenAiError(405, `Use ${method} for ${path}.`, 'invalid_request_error', null, 'method_not_allowed');
  };

  if (path === OPENAI_ROUTES.models) {
    expect('GET');
    const list: OpenAiModelList = { object: 'list', data: (await textModels(host)).map(describeModel) };
    return sendJson(response, 200, list);
  }
  if (path.startsWith(`${OPENAI_ROUTES.models}/`)) {
    expect('GET');
    return sendJson(response, 200, describeModel(await findModel(host, decodeURIComponent(path.slice(OPENAI_ROUTES.models.length + 1)))));
  }
  if (path === OPENAI_ROUTES.completions) {
    expect('POST');
    const body = await parseBody(request, CompletionRequestSchema);
    const model = await findModel(host, body.model);
    const studioRequest = completionToStudio(body, model, (await host.invoke('getSettings')).ep);
    const echo = body.echo ? (studioRequest.prompt ?? '') : null;
    return generate(host, response, studioRequest, { stream: body.stream === true, includeUsage: body.stream_options?.include_usage === true }, completionShape(echo));
  }
  if (path === OPENAI_ROUTES.chatCompletions) {
    expect('POST');
    const body = await parseBody(request, ChatCompletionRequestSchema);
    const model = await findModel(host, body.model);
    const studioRequest = chatToStudio(body, model, (await host.invoke('getSettings')).ep);
    return generate(host, response, studioRequest, { stream: body.stream === true, includeUsage: body.stream_options?.include_usage === true }, chatShape);
  }
  throw new OpenAiError(404, `Unknown route ${request.method} ${url.pathname}: this server answers ${ROUTE_LIST}.`, 'not_found_error', null, 'unknown_url');
}

/**
 * The OpenAI-compatible API (`/v1`) on the studio's web server: the same host, queue and engine as
 * the studio's own API, and the same per-launch token, sent as the API key (`Authorization: Bearer`).
 */
export function openAiRoutes(host: StudioHost): ExtraRoute {
  return {
    prefix: OPENAI_ROUTES.prefix,
    unauthorized: (response) =>
      sendOpenAiError(
        response,
        new OpenAiError(401, 'Missing or wrong API key: use the key `pareto serve` printed, sent as `Authorization: Bearer KEY`.', 'authentication_error', null, 'invalid_api_key'),
      ),
    handle: async (request, response, url) => {
      try {
        await route(host, request, response, url);
      } catch (error) {
        if (response.destroyed) return; // The client left; its job is already cancelled.
        if (!response.headersSent) sendOpenAiError(response, error);
        else if (!response.writableEnded) response.end();
      }
    },
  };
}
