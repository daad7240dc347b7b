import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioEventSchema } from '../contract';
import { sdFixture, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';
import { StudioHost } from './studio-host';
import { startWebServer, type RunningWebServer } from './web-server';

type ErrorBody = { error: { code: string; message: string } };

let server: RunningWebServer;
let host: StudioHost;
let base: string;

beforeAll(async () => {
  const staticDir = temporaryDir();
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
  host = new StudioHost({ dataDir: temporaryDir(), bundledModelsDir: null, modelPaths: [tinyStoriesOnnx()] });
  server = await startWebServer({ host, port: 0, staticDir });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.close();
  await host.dispose();
});

const call = (method: string, body?: unknown, token = server.token) =>
  fetch(`${base}/api/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

describe('web server', () => {
  it('binds loopback and prints a URL carrying the per-launch token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/#token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('answers calls with the token and refuses them without', async () => {
    const ok = await call('listModels');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { id: string }[])[0]!.id).toBe('tinystories-656k-onnx');
    const refused = await call('listModels', undefined, 'wrong');
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as ErrorBody).error.code).toBe('unauthorized');
  });

  it('answers a path with a malformed escape with 400, not 500', async () => {
    const response = await fetch(`${base}/assets/%ZZ`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error).toEqual({ code: 'bad_request', message: 'The path /assets/%ZZ has a malformed %-escape.' });
  });

  it('refuses requests addressed to another host name', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve) => {
      request({ host: '127.0.0.1', port: server.port, path: '/', headers: { Host: 'evil.example:80' } }, (response) => resolve(response.statusCode!)).end();
    });
    expect(status).toBe(403);
  });

  it('maps errors to status codes with a one-line message', async () => {
    const missing = await call('startTextJob', { model: '/nope/model', prompt: 'hi' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as ErrorBody).error.message).toBe('Model folder not found: /nope/model');
    const invalid = await call('startTextJob', { model: tinyStoriesOnnx(), prompt: 'hi', temperature: -1 });
    expect(invalid.status).toBe(400);
    const badJson = await fetch(`${base}/api/listModels`, { method: 'POST', headers: { Authorization: `Bearer ${server.token}` }, body: '{' });
    expect(badJson.status).toBe(400);
  });

  it('streams job events over server-sent events', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/api/events?token=${server.token}`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const started = await call('startTextJob', { model: tinyStoriesOnnx(), prompt: '', maxNewTokens: 10, doSample: false });
    const { jobId } = (await started.json()) as { jobId: string };
    const reader = response.body!.getReader();
    let received = '';
    while (!received.includes('"type":"done"')) received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const events = received.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)));
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['queued', 'started', 'tokens', 'done']));
    expect(events.every((e) => e.jobId === jobId)).toBe(true);
  });

  it('streams image job events on the same stream, each valid against the contract', async () => {
    const controller = new AbortController();
    const response = await fetch(`${base}/api/events?token=${server.token}`, { signal: controller.signal });
    const started = await call('startImageJob', { model: sdFixture(), prompt: 'a red circle', steps: 4, seed: 1, previewEvery: 2 });
    const { jobId } = (await started.json()) as { jobId: string };
    const reader = response.body!.getReader();
    let received = '';
    while (!received.includes('"type":"image-done"')) received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const events = received.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)));
    expect(events.map((e) => e.type).filter((type) => type !== 'energy')).toEqual(['queued', 'image-started', 'image-progress', 'image-progress', 'image-progress', 'image-progress', 'image-done']);
    expect(events.some((e) => e.type === 'energy')).toBe(true);
    expect(events.every((e) => e.jobId === jobId && StudioEventSchema.safeParse(e).success)).toBe(true);
  });

  it('serves the UI but never a file outside it', async () => {
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect((await fetch(`${base}/`)).headers.get('content-security-policy')).toContain("default-src 'self'");
    expect((await fetch(`${base}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });
});
