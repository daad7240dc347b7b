import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ApiError, HTTP_ROUTES, RENDERER_CONTENT_TYPES, type ApiErrorBody } from '../contract';
import type { StudioHost } from './studio-host';

/** A family of routes served beside the studio's own (the OpenAI-compatible API), behind the same Host and token checks. */
export interface ExtraRoute {
  /** A path prefix such as `/v1`: it matches itself and every path under it. */
  prefix: string;
  /** Answers the request completely, errors included; called only once the Host header and the token are checked. */
  handle(request: http.IncomingMessage, response: http.ServerResponse, url: URL): Promise<void>;
  /** Refuses a request without the right token in the routes' own error shape; the studio's shape when absent. */
  unauthorized?(response: http.ServerResponse): void;
}

export interface WebServerOptions {
  host: StudioHost;
  /** 0 picks a free port. */
  port: number;
  /** The built renderer (out/renderer); null serves the API only. */
  staticDir: string | null;
  extraRoutes?: readonly ExtraRoute[];
}

export interface RunningWebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

const STATUS_BY_CODE: Record<ApiErrorBody['code'], number> = {
  bad_request: 400,
  unauthorized: 401,
  not_found: 404,
  invalid_model: 422,
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

function sameSecret(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

/** The web mode's front door: the API as `POST /api/<method>`, events as server-sent events, and the built UI. */
export async function startWebServer(options: WebServerOptions): Promise<RunningWebServer> {
  const token = crypto.randomBytes(24).toString('base64url');
  const streams = new Set<http.ServerResponse>();
  let port = options.port;

  const authorised = (request: http.IncomingMessage, url: URL) =>
    sameSecret(request.headers.authorization?.replace(/^Bearer /, ''), token) || sameSecret(url.searchParams.get(HTTP_ROUTES.tokenQuery), token);

  const streamEvents = (request: http.IncomingMessage, response: http.ServerResponse) => {
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', ...SECURITY_HEADERS });
    response.write(': connected\n\n');
    streams.add(response);
    const unsubscribe = options.host.onEvent((event) => response.write(`data: ${JSON.stringify(event)}\n\n`));
    const heartbeat = setInterval(() => response.write(': ping\n\n'), 15_000);
    request.on('close', () => {
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
    const root = path.resolve(options.staticDir);
    const relative = decodeURIComponent(url.pathname) === '/' ? 'index.html' : decodeURIComponent(url.pathname).slice(1);
    const file = path.resolve(root, relative);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
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
      const url = new URL(request.url ?? '/', `http://${hostHeader}`);
      const extra = options.extraRoutes?.find((route) => url.pathname === route.prefix || url.pathname.startsWith(`${route.prefix}/`));
      if (extra) {
        if (authorised(request, url)) return await extra.handle(request, response, url);
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
      sendJson(response, 200, await options.host.call(method, await readJsonBody(request)));
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
        for (const stream of streams) stream.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
