import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StudioEvent } from '../contract';
import { temporaryDir } from '../testing/fixtures';
import { openAiRoutes } from './openai-api';
import type { StudioHost } from './studio-host';
import { startWebServer, type RunningWebServer } from './web-server';

/** A host whose jobs never end and whose events the test sends, to load the front door alone. */
function fakeHost() {
  const listeners = new Set<(event: StudioEvent) => void>();
  const host = {
    onEvent(listener: (event: StudioEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    call: async (method: string) => (method.startsWith('start') ? { jobId: crypto.randomUUID() } : []),
  };
  return { host: host as unknown as StudioHost, listeners, emit: (event: StudioEvent) => listeners.forEach((listener) => listener(event)) };
}

let server: RunningWebServer;
let fake: ReturnType<typeof fakeHost>;
let base: string;
let outside: string;

beforeAll(async () => {
  const staticDir = temporaryDir();
  outside = temporaryDir();
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>studio</title>');
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'not for the web');
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(staticDir, 'leak.txt'));
  fs.symlinkSync('index.html', path.join(staticDir, 'home.html'));
  fake = fakeHost();
  server = await startWebServer({ host: fake.host, port: 0, staticDir, extraRoutes: [openAiRoutes(fake.host)] });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.close());

const auth = () => ({ Authorization: `Bearer ${server.token}` });
const post = (route: string, headers: Record<string, string> = {}) => fetch(`${base}${route}`, { method: 'POST', headers: { ...auth(), ...headers }, body: '{"prompt":"x"}' });

describe('the web mode front door (finding 9, 10)', () => {
  it('answers malformed percent-encoding with 400 on every route', async () => {
    for (const route of ['/%ZZ', '/assets/%ZZ', '/api/listModels%E0%A4%A', '/api/events%ZZ', '/v1/models%ZZ', '/v1/chat/completions%']) {
      const response = await fetch(`${base}${route}`, { method: route.includes('completions') ? 'POST' : 'GET', headers: auth() });
      expect([route, response.status]).toEqual([route, 400]);
    }
  });

  it('takes the token in the URL on the event stream only', async () => {
    expect((await fetch(`${base}/api/listModels?token=${server.token}`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${base}/v1/models?token=${server.token}`)).status).toBe(401);
    const events = new AbortController();
    expect((await fetch(`${base}/api/events?token=${server.token}`, { signal: events.signal })).status).toBe(200);
    events.abort();
  });

  it('refuses state-changing requests from another origin', async () => {
    expect((await post('/api/startTextJob', { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post('/v1/completions', { Origin: 'null' })).status).toBe(403);
    expect((await post('/api/listModels', { Origin: base })).status).toBe(200);
  });

  it('never follows a link out of the renderer folder, but follows one inside it', async () => {
    expect((await fetch(`${base}/leak.txt`)).status).toBe(404);
    expect(await (await fetch(`${base}/home.html`)).text()).toContain('<title>studio</title>');
  });

  it('caps the jobs one client has in flight with a clear 429, and frees a place when one ends', async () => {
    const agent = { 'User-Agent': 'cap-test' };
    const started: string[] = [];
    for (let n = 0; n < 16; n++) started.push(((await (await post('/api/startTextJob', agent)).json()) as { jobId: string }).jobId);
    const refused = await post('/api/startTextJob', agent);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'busy', message: expect.stringMatching(/already has 16 jobs/) });
    expect((await post('/api/startImageJob', { 'User-Agent': 'another client' })).status).toBe(200);
    fake.emit({ type: 'error', jobId: started[0]!, message: 'Cancelled.' });
    expect((await post('/api/startTextJob', agent)).status).toBe(200);
  });

  it('drops an event-stream client that stops reading once its buffer is full', async () => {
    const before = fake.listeners.size;
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /api/events?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    await new Promise((resolve) => socket.once('data', resolve));
    socket.pause();
    expect(fake.listeners.size).toBe(before + 1);
    const big = 'x'.repeat(256 * 1024);
    for (let n = 0; n < 200; n++) fake.emit({ type: 'error', jobId: big, message: big });
    await vi.waitFor(() => expect(fake.listeners.size).toBe(before));
    socket.destroy();
  });
});
