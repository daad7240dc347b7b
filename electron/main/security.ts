import { shell, type App, type Session, type WebContents } from 'electron';
import type { Logger } from '../../native/host/supervisor';
import { contentSecurityPolicy, isAllowedRequest, isAppPage, isExternalLink, type AppSource } from './common/url-policy';

/** The one permission the app's own page gets: writing text to the clipboard (the API token's Copy button). */
const GRANTED_TO_APP_PAGE = new Set(['clipboard-sanitized-write']);

/**
 * Session-wide policy (SPEC §6): every permission denied (but a clipboard write from our own
 * page), a strict CSP on app responses, and every request that is not the app's own content cancelled.
 *
 * The CSP header here reaches responses that go through the network stack (the dev server);
 * the `app://` protocol handler sets it on the built renderer's responses.
 */
export function applySessionPolicy(session: Session, source: AppSource, log: Logger): void {
  const granted = (permission: string, url: string) => GRANTED_TO_APP_PAGE.has(permission) && isAppPage(url, source);
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    const allowed = granted(permission, details.requestingUrl ?? contents.getURL());
    if (!allowed) log.warn(`denied permission "${permission}" to ${contents.getURL()}`);
    callback(allowed);
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => granted(permission, `${requestingOrigin}/`));
  session.setDevicePermissionHandler(() => false);
  session.setDisplayMediaRequestHandler((_request, callback) => callback({}));

  const csp = contentSecurityPolicy(source);
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers = Object.fromEntries(
      Object.entries(details.responseHeaders ?? {}).filter(([name]) => name.toLowerCase() !== 'content-security-policy'),
    );
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [csp] } });
  });

  session.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedRequest(details.url, source);
    if (!allowed) log.warn(`blocked a request to ${details.url.slice(0, 200)}`);
    callback({ cancel: !allowed });
  });
}

/** Guards every web contents the app creates: no navigation away, no new windows, no webviews. */
export function guardAllWebContents(app: App, source: AppSource, log: Logger): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, source, log));
}

function guardWebContents(contents: WebContents, source: AppSource, log: Logger): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) {
      void shell.openExternal(url).catch((error: unknown) => log.warn(`could not open ${url} in the browser:`, error));
    } else {
      log.warn(`blocked a new window for ${url.slice(0, 200)}`);
    }
    return { action: 'deny' };
  });
  const blockNavigation = (event: { url: string; preventDefault(): void }) => {
    if (isAppPage(event.url, source)) return;
    event.preventDefault();
    log.warn(`blocked navigation to ${event.url.slice(0, 200)}`);
  };
  contents.on('will-navigate', blockNavigation);
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) blockNavigation(event); // the main frame is will-navigate's
  });
  contents.on('will-redirect', blockNavigation);
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log.warn('blocked a <webview>');
  });
}
