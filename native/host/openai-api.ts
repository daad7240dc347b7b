import type http from 'node:http';
import type { TextGenerationRequest } from '../contract';
import { ChatCompletionRequestSchema, CompletionRequestSchema, OpenAiImageRequestSchema, OPENAI_ROUTES, type OpenAiModelList } from '../contract/openai';
import { startHostJob } from './openai/host-job';
import { OpenAiError, SseWriter, clientGone, parseBody, sendJson, sendOpenAiError } from './openai/http';
import { generateImages } from './openai/images';
import { describeTarget, findTarget, listTargets, type ApiTarget } from './openai/models';
import { chatToStudio, completionToStudio, finishReason, nthChoice } from './openai/requests';
import { chatShape, completionShape, paretoInfo, usageOf, type FinishedChoice, type ResponseMeta, type ResponseShape } from './openai/responses';
import { invoke, type HostConnection } from './host-connection';
import type { ExtraRoute } from './web-server';

const ROUTE_LIST = 'GET /v1/models, POST /v1/completions, POST /v1/chat/completions and POST /v1/images/generations';

const nowSeconds = () => Math.floor(Date.now() / 1000);

interface TextAnswer {
  target: ApiTarget;
  request: TextGenerationRequest;
  n: number;
  stream: boolean;
  includeUsage: boolean;
  shape: ResponseShape;
}

/**
 * Runs a request's n choices one after another on the host's queue and answers them, whole or as one
 * stream (each chunk as its tokens are generated). The running job is cancelled as soon as the client
 * goes away, so a disconnected client stops generation within one token.
 */
async function answerText(host: HostConnection, response: http.ServerResponse, answer: TextAnswer): Promise<void> {
  const { target, shape } = answer;
  const signal = clientGone(response);
  const choices: FinishedChoice[] = [];
  let meta: ResponseMeta | null = null;
  let sse: SseWriter | null = null;
  // With include_usage, OpenAI puts `usage: null` on every chunk and the totals on a last chunk without choices.
  const usage = answer.includeUsage ? { usage: null } : {};
  try {
    for (let index = 0; index < answer.n; index++) {
      const ranAt = target.isFamily && choices[0] ? { model: choices[0].model, ...choices[0].result.config } : null;
      const job = await startHostJob(host, nthChoice(answer.request, index, ranAt), signal);
      const { model } = await job.started;
      meta ??= { id: `${shape.idPrefix}-${job.jobId}`, created: nowSeconds(), model };
      if (answer.stream) {
        const stream = (sse ??= new SseWriter(response));
        const chunkMeta = meta;
        for (const chunk of shape.opening(chunkMeta, index)) stream.data({ ...chunk, ...usage });
        job.onText((text, logprobs) => stream.data({ ...shape.piece(chunkMeta, index, text, logprobs), ...usage }));
      }
      const result = await job.result;
      if (signal.aborted) return;
      choices.push({ model, result });
      if (sse && index < answer.n - 1) sse.data({ ...shape.last(meta, index, finishReason(result.finishReason)), ...usage });
    }
  } catch (error) {
    if (signal.aborted) return;
    if (!sse) throw error;
    return sse.fail(error);
  }
  const pareto = paretoInfo(target, choices);
  if (!sse) return sendJson(response, 200, shape.whole(meta!, choices, pareto));
  const last = choices.at(-1)!;
  sse.data({ ...shape.last(meta!, choices.length - 1, finishReason(last.result.finishReason)), ...usage, pareto });
  if (answer.includeUsage) sse.data({ ...shape.last(meta!, 0, 'stop'), choices: [], usage: usageOf(choices), pareto });
  sse.done();
}

async function textContext(host: HostConnection, model: string) {
  const target = await findTarget(host, model, 'text');
  const { ep, lambda } = await invoke(host, 'getSettings');
  return { target, ep, savedLambda: lambda };
}

async function route(host: HostConnection, request: http.IncomingMessage, response: http.ServerResponse, url: URL): Promise<void> {
  const path = url.pathname.replace(/\/+$/, '');
  const expect = (method: 'GET' | 'POST') => {
    if (request.method !== method) throw new OpenAiError(405, `Use ${method} for ${path}.`, 'invalid_request_error', null, 'method_not_allowed');
  };

  if (path === OPENAI_ROUTES.models) {
    expect('GET');
    const list: OpenAiModelList = { object: 'list', data: (await listTargets(host)).map(describeTarget) };
    return sendJson(response, 200, list);
  }
  if (path.startsWith(`${OPENAI_ROUTES.models}/`)) {
    expect('GET');
    const id = decodeURIComponent(path.slice(OPENAI_ROUTES.models.length + 1));
    const target = (await listTargets(host)).find((candidate) => candidate.id === id);
    if (!target) throw new OpenAiError(404, `The model "${id}" does not exist.`, 'not_found_error', 'model', 'model_not_found');
    return sendJson(response, 200, describeTarget(target));
  }
  if (path === OPENAI_ROUTES.completions) {
    expect('POST');
    const body = await parseBody(request, CompletionRequestSchema);
    const context = await textContext(host, body.model);
    const studioRequest = completionToStudio(body, context);
    const echo = body.echo ? (studioRequest.prompt ?? '') : null;
    const stream = { stream: body.stream === true, includeUsage: body.stream_options?.include_usage === true };
    return answerText(host, response, { target: context.target, request: studioRequest, n: body.n ?? 1, ...stream, shape: completionShape(echo) });
  }
  if (path === OPENAI_ROUTES.chatCompletions) {
    expect('POST');
    const body = await parseBody(request, ChatCompletionRequestSchema);
    const context = await textContext(host, body.model);
    const stream = { stream: body.stream === true, includeUsage: body.stream_options?.include_usage === true };
    return answerText(host, response, { target: context.target, request: chatToStudio(body, context), n: body.n ?? 1, ...stream, shape: chatShape });
  }
  if (path === OPENAI_ROUTES.imageGenerations) {
    expect('POST');
    return generateImages(host, response, await parseBody(request, OpenAiImageRequestSchema));
  }
  throw new OpenAiError(404, `Unknown route ${request.method} ${url.pathname}: this server answers ${ROUTE_LIST}.`, 'not_found_error', null, 'unknown_url');
}

/**
 * The OpenAI-compatible API (`/v1`) on the studio's web server: the same host, queue and engine as
 * the studio's own API, and the same per-launch token, sent as the API key (`Authorization: Bearer`).
 */
export function openAiRoutes(host: HostConnection): ExtraRoute {
  return {
    prefix: OPENAI_ROUTES.prefix,
    unauthorized: (response) =>
      sendOpenAiError(
        response,
        new OpenAiError(401, 'Missing or wrong API key: use the key `pareto serve` printed, sent as `Authorization: Bearer KEY`.', 'authentication_error', null, 'invalid_api_key'),
      ),
    refuse: sendOpenAiError,
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
