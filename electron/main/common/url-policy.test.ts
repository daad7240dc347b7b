import { describe, expect, it } from 'vitest';
import { APP_INDEX_URL, appSource, contentSecurityPolicy, isAllowedRequest, isAppPage, isExternalLink } from './url-policy';

const prod = appSource(undefined);
const dev = appSource('http://localhost:5173/');

describe('isAppPage (where the window may navigate)', () => {
  it('allows only app://studio/index.html in production, with any query or fragment', () => {
    expect(isAppPage(APP_INDEX_URL, prod)).toBe(true);
    expect(isAppPage(`${APP_INDEX_URL}#/history`, prod)).toBe(true);
    expect(isAppPage(`${APP_INDEX_URL}?view=compare`, prod)).toBe(true);
    expect(isAppPage('app://studio/', prod)).toBe(true);
    expect(isAppPage('app://studio/other.html', prod)).toBe(false);
    expect(isAppPage('app://evil/index.html', prod)).toBe(false);
    expect(isAppPage('app://user:pw@studio/index.html', prod)).toBe(false);
    expect(isAppPage('file:///opt/Pareto%20Studio/resources/app.asar/out/renderer/index.html', prod)).toBe(false);
    expect(isAppPage('https://example.com/', prod)).toBe(false);
    expect(isAppPage('not a url', prod)).toBe(false);
  });

  it('allows only the dev server origin in development', () => {
    expect(isAppPage('http://localhost:5173/', dev)).toBe(true);
    expect(isAppPage('http://localhost:5173/index.html#x', dev)).toBe(true);
    expect(isAppPage('http://localhost:5174/', dev)).toBe(false);
    expect(isAppPage('https://localhost:5173/', dev)).toBe(false);
    expect(isAppPage(APP_INDEX_URL, dev)).toBe(false);
  });

  it('refuses a dev server that is not local http', () => {
    expect(() => appSource('https://example.com/')).toThrow(/localhost/);
    expect(() => appSource('http://192.168.1.5:5173/')).toThrow(/localhost/);
  });
});

describe('isAllowedRequest (no remote content)', () => {
  it('allows the app protocol, inline data and dev tools in production', () => {
    expect(isAllowedRequest('app://studio/assets/index-abc.js', prod)).toBe(true);
    expect(isAllowedRequest('data:image/png;base64,AAAA', prod)).toBe(true);
    expect(isAllowedRequest('blob:app://studio/1234', prod)).toBe(true);
    expect(isAllowedRequest('devtools://devtools/bundled/inspector.html', prod)).toBe(true);
  });

  it('blocks anything remote and every file:// URL', () => {
    expect(isAllowedRequest('https://cdn.example.com/lib.js', prod)).toBe(false);
    expect(isAllowedRequest('http://localhost:5173/', prod)).toBe(false);
    expect(isAllowedRequest('wss://example.com/socket', prod)).toBe(false);
    expect(isAllowedRequest('file:///home/user/.ssh/id_rsa', prod)).toBe(false);
    expect(isAllowedRequest('file:///opt/Pareto%20Studio/resources/app.asar/out/renderer/assets/x.js', prod)).toBe(false);
    expect(isAllowedRequest('app://other/x.js', prod)).toBe(false);
    expect(isAllowedRequest('ftp://example.com/x', prod)).toBe(false);
    expect(isAllowedRequest('::', prod)).toBe(false);
  });

  it('allows the dev server and its HMR socket in development, nothing else remote', () => {
    expect(isAllowedRequest('http://localhost:5173/src/main.tsx', dev)).toBe(true);
    expect(isAllowedRequest('ws://localhost:5173/', dev)).toBe(true);
    expect(isAllowedRequest('ws://localhost:9999/', dev)).toBe(false);
    expect(isAllowedRequest('https://example.com/', dev)).toBe(false);
    expect(isAllowedRequest(APP_INDEX_URL, dev)).toBe(false);
  });
});

describe('isExternalLink', () => {
  it('hands only plain https links to the system browser', () => {
    expect(isExternalLink('https://huggingface.co/models')).toBe(true);
    expect(isExternalLink('http://example.com/')).toBe(false);
    expect(isExternalLink('https://user:pw@example.com/')).toBe(false);
    expect(isExternalLink('file:///etc/passwd')).toBe(false);
    expect(isExternalLink('javascript:alert(1)')).toBe(false);
    expect(isExternalLink('smb://share/x')).toBe(false);
  });
});

describe('contentSecurityPolicy', () => {
  it('is strict in production: nothing inline, nothing remote, no eval', () => {
    const csp = contentSecurityPolicy(prod);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)|https?:|ws:/);
  });

  it('adds only what the local dev server needs in development', () => {
    const csp = contentSecurityPolicy(dev);
    expect(csp).toContain("script-src 'self' 'unsafe-inline'");
    expect(csp).toContain("connect-src 'self' ws://localhost:5173");
    expect(csp).not.toContain('unsafe-eval');
  });
});
