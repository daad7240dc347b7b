import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { Protocol } from 'electron';
import { RENDERER_CONTENT_TYPES } from '../../native/contract';
import { APP_SCHEME, isAppProtocolUrl } from './common/url-policy';

/**
 * `app://` as a standard, secure scheme: pages on it get an origin ('self' in the CSP), fetch and
 * a secure context, and nothing more. Must run before the app is ready.
 */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
}

/** Where a request for `app://studio/<path>` is read from, or null when it would leave the renderer folder. */
export function rendererFileFor(requestUrl: string, rendererDir: string): string | null {
  let url: URL;
  let pathname: string;
  try {
    url = new URL(requestUrl);
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (!isAppProtocolUrl(url) || pathname.includes('\0')) return null;
  const root = resolve(rendererDir);
  const file = resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`);
  return file.startsWith(root + sep) ? file : null;
}

/**
 * Answers `app://studio/…` from the built renderer, with the strict CSP on every response.
 * Anything outside the renderer folder, or missing, is a 404; only GET and HEAD are served.
 */
export function appProtocolHandler(rendererDir: string, csp: string): (request: Request) => Promise<Response> {
  const headers = (type: string) => ({ 'Content-Type': type, 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
  const notFound = () => new Response('Not found', { status: 404, headers: headers('text/plain; charset=utf-8') });
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method not allowed', { status: 405, headers: headers('text/plain; charset=utf-8') });
    const file = rendererFileFor(request.url, rendererDir);
    if (!file) return notFound();
    try {
      const body = await readFile(file);
      return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers: headers(RENDERER_CONTENT_TYPES[extname(file)] ?? 'application/octet-stream') });
    } catch {
      return notFound();
    }
  };
}

/** Serves the built renderer on the session's `app://` protocol. */
export function serveRenderer(protocol: Pick<Protocol, 'handle'>, rendererDir: string, csp: string): void {
  protocol.handle(APP_SCHEME, appProtocolHandler(rendererDir, csp));
}
