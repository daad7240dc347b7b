import { pathToFileURL } from 'node:url';

/**
 * Where the app's own pages come from: the built renderer on disk (production), or the
 * electron-vite dev server (`ELECTRON_RENDERER_URL`, development only).
 */
export type AppSource =
  | { kind: 'file'; indexUrl: URL; rendererDirUrl: URL; caseInsensitive: boolean }
  | { kind: 'dev'; url: URL };

/**
 * @param rendererIndex absolute path of `out/renderer/index.html`
 * @param devServerUrl the dev server's URL, or undefined in production
 */
export function appSource(rendererIndex: string, devServerUrl: string | undefined, platform: NodeJS.Platform = process.platform): AppSource {
  if (devServerUrl) {
    const url = new URL(devServerUrl);
    if (url.protocol !== 'http:' || !isLoopbackHost(url.hostname)) {
      throw new Error(`ELECTRON_RENDERER_URL must be an http:// URL on localhost, not ${devServerUrl}.`);
    }
    return { kind: 'dev', url };
  }
  const indexUrl = pathToFileURL(rendererIndex);
  return { kind: 'file', indexUrl, rendererDirUrl: new URL('.', indexUrl), caseInsensitive: platform === 'win32' };
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

function samePath(a: string, b: string, caseInsensitive: boolean): boolean {
  return caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** True for the app's own page (query and fragment aside): the only place the window may navigate to. */
export function isAppPage(url: string, source: AppSource): boolean {
  const parsed = parse(url);
  if (!parsed) return false;
  if (source.kind === 'dev') return parsed.origin === source.url.origin;
  return parsed.protocol === 'file:' && parsed.host === '' && samePath(parsed.pathname, source.indexUrl.pathname, source.caseInsensitive);
}

/**
 * True for a request the app's pages may make. Everything else — any remote http(s)/ws(s), any
 * file outside the built renderer — is cancelled (no remote content, SPEC §6).
 */
export function isAllowedRequest(url: string, source: AppSource): boolean {
  const parsed = parse(url);
  if (!parsed) return false;
  switch (parsed.protocol) {
    case 'data:':
    case 'blob:':
    case 'devtools:':
    case 'chrome-extension:':
      return true;
    case 'file:':
      return (
        source.kind === 'file' &&
        parsed.host === '' &&
        !parsed.pathname.split('/').includes('..') &&
        samePath(parsed.pathname.slice(0, source.rendererDirUrl.pathname.length), source.rendererDirUrl.pathname, source.caseInsensitive)
      );
    case 'http:':
    case 'https:':
      return source.kind === 'dev' && parsed.origin === source.url.origin;
    case 'ws:':
      return source.kind === 'dev' && parsed.host === source.url.host;
    default:
      return false;
  }
}

/** Links a page may hand to the system browser: https only, with no credentials in them. */
export function isExternalLink(url: string): boolean {
  const parsed = parse(url);
  return parsed !== null && parsed.protocol === 'https:' && parsed.username === '' && parsed.password === '';
}

/**
 * The Content-Security-Policy for the app's pages. Production allows only the app's own files;
 * development adds what the Vite dev server needs (inline React-refresh preamble, injected
 * styles, the HMR websocket) and nothing remote.
 */
export function contentSecurityPolicy(source: AppSource): string {
  const dev = source.kind === 'dev';
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': dev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
    'style-src': dev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': dev ? ["'self'", `ws://${source.url.host}`] : ["'self'"],
    'worker-src': ["'self'", 'blob:'],
    'media-src': ["'self'", 'blob:'],
    'object-src': ["'none'"],
    'frame-src': ["'none'"],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}
