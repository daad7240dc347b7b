/**
 * Where the app's own pages come from: the built renderer served by the shell's `app://studio/`
 * protocol (production), or the electron-vite dev server (`ELECTRON_RENDERER_URL`, development only).
 * Pages never come from file://, which would give them every file the user can read.
 */
export type AppSource = { kind: 'app'; indexUrl: URL } | { kind: 'dev'; url: URL };

export const APP_SCHEME = 'app';
export const APP_HOST = 'studio';
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** @param devServerUrl the dev server's URL, or undefined in production */
export function appSource(devServerUrl: string | undefined): AppSource {
  if (devServerUrl) {
    const url = new URL(devServerUrl);
    if (url.protocol !== 'http:' || !isLoopbackHost(url.hostname)) {
      throw new Error(`ELECTRON_RENDERER_URL must be an http:// URL on localhost, not ${devServerUrl}.`);
    }
    return { kind: 'dev', url };
  }
  return { kind: 'app', indexUrl: new URL(APP_INDEX_URL) };
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

/** True for a URL on the app's own protocol and host (`app://studio/…`). */
export function isAppProtocolUrl(url: URL): boolean {
  return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.username === '' && url.password === '';
}

/** True for the app's own page (query and fragment aside): the only place the window may navigate to. */
export function isAppPage(url: string, source: AppSource): boolean {
  const parsed = parse(url);
  if (!parsed) return false;
  if (source.kind === 'dev') return parsed.origin === source.url.origin;
  return isAppProtocolUrl(parsed) && (parsed.pathname === source.indexUrl.pathname || parsed.pathname === '/');
}

/**
 * True for a request the app's pages may make. Everything else — any remote http(s)/ws(s), any
 * file:// at all — is cancelled (no remote content, SPEC §6).
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
    case `${APP_SCHEME}:`:
      return source.kind === 'app' && isAppProtocolUrl(parsed);
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
