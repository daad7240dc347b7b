import type http from 'node:http';
import type { z } from 'zod';
import { ApiError, type ApiErrorBody } from '../../contract';
import type { OpenAiErrorBody } from '../../contract/openai';
import { SseStream } from '../sse-stream';
import { readJsonBody } from '../web-server';

type ErrorType = OpenAiErrorBody['error']['type'];

/** A failure answered in OpenAI's error shape, with its HTTP status. */
export class OpenAiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'OpenAiError';
  }

  toBody(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

const FROM_STUDIO: Record<ApiErrorBody['code'], { status: number; type: ErrorType }> = {
  bad_request: { status: 400, type: 'invalid_request_error' },
  unauthorized: { status: 401, type: 'authentication_error' },
  not_found: { status: 404, type: 'not_found_error' },
  invalid_model: { status: 422, type: 'invalid_request_error' },
  busy: { status: 429, type: 'rate_limit_error' },
  internal: { status: 500, type: 'server_error' },
};

/** The OpenAI name of a studio request field that an engine error names. */
const OPENAI_NAMES: Record<string, string> = { logitBias: 'logit_bias', width: 'size', height: 'size' };

/** Any failure as an OpenAiError: the studio's own errors keep their message and status. */
export function toOpenAiError(error: unknown): OpenAiError {
  if (error instanceof OpenAiError) return error;
  if (error instanceof ApiError) {
    const { status, type } = FROM_STUDIO[error.code];
    return new OpenAiError(status, error.message, type, error.param && (OPENAI_NAMES[error.param] ?? error.param), error.code);
  }
  return new OpenAiError(500, `Internal error: ${(error as Error).message}`, 'server_error');
}

/** The first problem of a request body, naming the field (`param`) as OpenAI does. */
export function fromZodError(error: z.ZodError): OpenAiError {
  const issue = error.issues[0]!;
  const param = issue.path.length ? issue.path.join('.') : null;
  const message = param && !issue.message.startsWith(param) ? `${param}: ${issue.message}` : issue.message;
  return new OpenAiError(400, message, 'invalid_request_error', param, 'invalid_value');
}

const HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };

export function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json', ...HEADERS });
  response.end(JSON.stringify(body));
}

export function sendOpenAiError(response: http.ServerResponse, error: unknown): void {
  const failure = toOpenAiError(error);
  sendJson(response, failure.status, failure.toBody());
}

/** A server-sent event stream in OpenAI's framing: `data: <json>` events closed by `data: [DONE]`. */
export class SseWriter {
  readonly #stream: SseStream;

  constructor(response: http.ServerResponse) {
    this.#stream = new SseStream(response, HEADERS);
  }

  data(payload: unknown): void {
    this.#stream.data(payload);
  }

  done(): void {
    this.#stream.end('data: [DONE]\n\n');
  }

  /** Reports a failure after the stream began: the `openai` clients raise an APIError on `{error}` data. */
  fail(error: unknown): void {
    this.data(toOpenAiError(error).toBody());
    this.#stream.end();
  }
}

export async function parseBody<S extends z.ZodType>(request: http.IncomingMessage, schema: S): Promise<z.output<S>> {
  const body = await readJsonBody(request);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OpenAiError(400, 'The request body must be a JSON object.');
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw fromZodError(parsed.error);
  return parsed.data;
}

/** A signal that aborts when the client goes away before its answer is complete. */
export function clientGone(response: http.ServerResponse): AbortSignal {
  const client = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) client.abort();
  });
  return client.signal;
}
