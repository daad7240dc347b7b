import { shell, type App, type Session, type WebContents } from 'electron';
import type { Logger } from '../../native/host/supervisor';
import { contentSecurityPolicy, isAllowedRequest, isAppPage, isExternalLink, type AppSource } from './common/url-policy';

/**
 * Session-wide policy (SPEC §6): every permission denied, a strict CSP on app responses, and
 * every request that is not the app's own content cancelled.
 *
 * The CSP header reaches responses that go through the network stack (the dev server); pages
 * loaded from file:// get theirs from the meta tag in renderer/index.html.
 */
export function applySessionPolicy(session: Session, source: AppSource, log: Logger): void {
  session.setPermissionRequestHandler((contents, permission, callback) => {
    log.warn(`denied permission "${permission}" to ${contents.getURL()}`);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);

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
