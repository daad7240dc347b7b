import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ApiError, HTTP_ROUTES, RENDERER_CONTENT_TYPES, type ApiErrorBody } from '../contract';
import { ClientJobLimit } from './client-job-limit';
import type { HostConnection } from './host-connection';
import { SseStream } from './sse-stream';

/** A family of routes served beside the studio's own (the OpenAI-compatible API), behind the same Host and token checks. */
export interface ExtraRoute {
  /** A path prefix such as `/v1`: it matches itself and every path under it. */
  prefix: string;
  /** Answers the request completely, errors included; called only once the Host header and the token are checked. */
  handle(request: http.IncomingMessage, response: http.ServerResponse, url: URL): Promise<void>;
  /** Refuses a request without the right token in the routes' own error shape; the studio's shape when absent. */
  unauthorized?(response: http.ServerResponse): void;
  /** Answers a request the front door refused (its client is over the job cap) in the routes' own error shape. */
  refuse?(response: http.ServerResponse, error: ApiError): void;
}

export interface WebServerOptions {
  host: HostConnection;
  /** 0 picks a free port. */
  port: number;
  /** The built renderer (out/renderer); null serves the API only. */
  staticDir: string | null;
  extraRoutes?: readonly ExtraRoute[];
  /** The access token; a fresh random one when absent. */
  token?: string;
}

export interface RunningWebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Events a stalled event-stream client may leave unread before it is dropped (it reconnects and catches up). */
const MAX_STREAM_BUFFER_BYTES = 8 * 1024 * 1024;
const MAX_JOBS_PER_CLIENT = 16;
const JOB_METHODS = new Set(['startTextJob', 'startImageJob', 'startCompare']);

const STATUS_BY_CODE: Record<ApiErrorBody['code'], number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  invalid_model: 422,
  busy: 429,
  internal: 500,
};

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...SECURITY_HEADERS });
  response.end(JSON.stringify(body));
}

function sendError(response: http.ServerResponse, error: unknown): void {
  const apiError = error instanceof ApiError ? error : new ApiError('internal', `Internal error: ${(error as Error).message}`);
  sendJson(response, STATUS_BY_CODE[apiError.code], { error: apiError.toBody() });
}

/** Reads a JSON request body (at most 4 MB); undefined when it is empty. */
export async function readJsonBody(request: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError('bad_request', `Request body is over ${MAX_BODY_BYTES / 1024 / 1024} MB.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('bad_request', 'Request body is not valid JSON.');
  }
}

/** The request's path, decoded; a malformed escape (`%ZZ`) is the client's mistake, a 400. */
function decodedPath(url: URL): string {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    throw new ApiError('bad_request', `The path ${url.pathname.slice(0, 200)} has a malformed %-escape.`);
  }
}

function sameSecret(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** The request's URL; a malformed one (a bad %-escape included) is the client's error, on every route. */
function requestUrl(raw: string | undefined, hostHeader: string): URL {
  let url: URL;
  try {
    url = new URL(raw ?? '/', `http://${hostHeader}`);
  } catch {
    throw new ApiError('bad_request', 'The request URL is malformed.');
  }
  decodedPath(url);
  return url;
}

/** A file of the static folder, following links only where they stay inside it; null when there is none. */
function realFileInside(root: string, relative: string): string | null {
  try {
    const real = fs.realpathSync(path.resolve(root, relative));
    return real.startsWith(root + path.sep) && fs.statSync(real).isFile() ? real : null;
  } catch {
    return null;
  }
}

/** The web mode's front door: the API as `POST /api/<method>`, events as server-sent events, and the built UI. */
export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const token = options.token ?? crypto.randomBytes(24).toString('base64url');
  const streams = new Set<http.ServerResponse>();
  let port = options.port;

  const origins = () => [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
  const jobLimit = new ClientJobLimit(MAX_JOBS_PER_CLIENT);
  const stopLimiting = options.host.onEvent((event) => jobLimit.observe(event));

  // EventSource cannot set headers, so the event stream alone may carry the token in its URL (where it leaks least).
  const authorised = (request: http.IncomingMessage, url: URL) =>
    sameSecret(request.headers.authorization?.replace(/^Bearer /, ''), token) || (url.pathname === HTTP_ROUTES.events && sameSecret(url.searchParams.get(HTTP_ROUTES.tokenQuery), token));

  const callHost = async (request: http.IncomingMessage, method: string, params: unknown) => {
    if (!JOB_METHODS.has(method)) return options.host.call(method, params);
    const client = ClientJobLimit.clientOf(request);
    jobLimit.admit(client);
    const started = (await options.host.call(method, params)) as { jobId: string };
    jobLimit.hold(client, started.jobId);
    return started;
  };

  // Every POST to an extra route may run jobs (n choices, a batch): it counts against its client while it is answered.
  const handleLimited = async (extra: ExtraRoute, request: http.IncomingMessage, response: http.ServerResponse, url: URL) => {
    if (request.method !== 'POST') return extra.handle(request, response, url);
    const client = ClientJobLimit.clientOf(request);
    try {
      jobLimit.admit(client);
    } catch (error) {
      if (extra.refuse) return extra.refuse(response, error as ApiError);
      throw error;
    }
    response.on('close', jobLimit.hold(client, crypto.randomUUID()));
    return extra.handle(request, response, url);
  };

  const streamEvents = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const stream = new SseStream(response, SECURITY_HEADERS);
    stream.comment('connected');
    streams.add(response);
    const unsubscribe = options.host.onEvent((event) => {
      if (response.writableLength > MAX_STREAM_BUFFER_BYTES) response.destroy();
      else stream.data(event);
    });
    const heartbeat = setInterval(() => stream.comment('ping'), 15_000);
    response.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(response);
    });
  };

  const serveStatic = (url: URL, response: http.ServerResponse) => {
    if (!options.staticDir || !fs.existsSync(path.join(options.staticDir, 'index.html'))) {
      response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('The studio UI is not built. Run `npm run build` (or `npm run studio:web`), then reload.');
      return;
    }
    const root = fs.realpathSync(options.staticDir);
    const pathname = decodedPath(url);
    const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
    const file = realFileInside(root, relative);
    if (!file) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('Not found');
      return;
    }
    const type = RENDERER_CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
    response.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS });
    fs.createReadStream(file).pipe(response);
  };

  const server = http.createServer(async (request, response) => {
    try {
      // Only this machine's loopback names: a page on another site cannot rebind its DNS to reach us.
      const hostHeader = request.headers.host ?? '';
      if (hostHeader !== `127.0.0.1:${port}` && hostHeader !== `localhost:${port}`) {
        sendJson(response, 403, { error: { code: 'unauthorized', message: 'Requests must address 127.0.0.1 or localhost.' } });
        return;
      }
      const url = requestUrl(request.url, hostHeader);
      // A page on another site may send requests here; it must never change anything (nor start jobs).
      if (request.method !== 'GET' && request.method !== 'HEAD' && request.headers.origin !== undefined && !origins().includes(request.headers.origin)) {
        sendJson(response, 403, { error: { code: 'unauthorized', message: 'Requests that change anything must come from the studio itself (the Origin header does not match).' } });
        return;
      }
      const extra = options.extraRoutes?.find((route) => url.pathname === route.prefix || url.pathname.startsWith(`${route.prefix}/`));
      if (extra) {
        if (authorised(request, url)) return await handleLimited(extra, request, response, url);
        if (extra.unauthorized) return extra.unauthorized(response);
        throw new ApiError('unauthorized', 'Missing or wrong access token: use the API key that `pareto serve` printed.');
      }
      if (!url.pathname.startsWith('/api/')) {
        if (request.method !== 'GET' && request.method !== 'HEAD') return sendJson(response, 405, { error: { code: 'bad_request', message: 'Method not allowed.' } });
        return serveStatic(url, response);
      }
      if (!authorised(request, url)) throw new ApiError('unauthorized', 'Missing or wrong access token: open the URL that `pareto serve` printed.');
      if (url.pathname === HTTP_ROUTES.events && request.method === 'GET') return streamEvents(request, response);
      if (request.method !== 'POST') throw new ApiError('bad_request', `Use POST for ${url.pathname}.`);
      const method = url.pathname.slice(HTTP_ROUTES.callPrefix.length);
      sendJson(response, 200, await callHost(request, method, await readJsonBody(request)));
    } catch (error) {
      sendError(response, error);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        stopLimiting();
        for (const stream of streams) stream.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
