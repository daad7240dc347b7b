import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../native/contract';
import { createHttpTransport } from './httpTransport';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function transportWith(respond: () => Promise<Response>) {
  const fetch = vi.fn<typeof globalThis.fetch>(respond);
  return { fetch, transport: createHttpTransport({ token: 'secret', fetch }) };
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('createHttpTransport.call', () => {
  it('posts JSON params with the bearer token and returns the result', async () => {
    const { fetch, transport } = transportWith(async () => json(200, { jobId: 'j1' }));
    await expect(transport.call('cancelJob', { jobId: 'j1' })).resolves.toEqual({ jobId: 'j1' });
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe('/api/cancelJob');
    expect(init).toMatchObject({ method: 'POST', body: '{"jobId":"j1"}', headers: { Authorization: 'Bearer secret', 'Content-Type': 'application/json' } });
  });

  it('sends no body for methods without params', async () => {
    const { fetch, transport } = transportWith(async () => json(200, []));
    await transport.call('listModels', undefined);
    expect(fetch.mock.calls[0]?.[1]?.body).toBeUndefined();
  });

  it('surfaces the server error code and message', async () => {
    const { transport } = transportWith(async () => json(400, { error: { code: 'invalid_model', message: 'config.json is missing in /m' } }));
    const error = await rejection(transport.call('importModel', { path: '/m' }));
    expect(error.code).toBe('invalid_model');
    expect(error.message).toBe('config.json is missing in /m');
  });

  it('maps a 401 without a JSON body to unauthorized', async () => {
    const { transport } = transportWith(async () => new Response('nope', { status: 401 }));
    expect((await rejection(transport.call('getSettings', undefined))).code).toBe('unauthorized');
  });

  it('names the status when the body is not an error object', async () => {
    const { transport } = transportWith(async () => new Response('<html>', { status: 502, statusText: 'Bad Gateway' }));
    const error = await rejection(transport.call('listProviders', undefined));
    expect(error.code).toBe('internal');
    expect(error.message).toContain('502 Bad Gateway');
  });

  it('turns a network failure into a sentence about the server', async () => {
    const { transport } = transportWith(() => Promise.reject(new TypeError('Failed to fetch')));
    expect((await rejection(transport.call('listModels', undefined))).message).toMatch(/Cannot reach the studio server/);
  });
});

describe('createHttpTransport.subscribe', () => {
  it('opens the event stream with the token and delivers parsed messages', () => {
    const source = { close: vi.fn(), onmessage: null, onerror: null, onopen: null, readyState: 1 } as unknown as EventSource;
    const openEventSource = vi.fn(() => source);
    const transport = createHttpTransport({ token: 'a b', fetch: vi.fn(), openEventSource });
    const listener = vi.fn();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const unsubscribe = transport.subscribe(listener);

    expect(openEventSource).toHaveBeenCalledWith('/api/events?token=a%20b');
    source.onmessage?.(new MessageEvent('message', { data: '{"type":"host","status":"ready","message":null}' }));
    source.onmessage?.(new MessageEvent('message', { data: 'not json' }));
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith({ type: 'host', status: 'ready', message: null });
    expect(warn).toHaveBeenCalledTimes(1);

    unsubscribe();
    expect(source.close).toHaveBeenCalled();
    warn.mockRestore();
  });
});

describe('createHttpTransport.subscribe across a server restart', () => {
  it('opens a new stream when the old one gave up for good, and reports the connection meanwhile', () => {
    vi.useFakeTimers();
    try {
      const sources: { close: () => void; onerror: (() => void) | null; onopen: (() => void) | null; readyState: number }[] = [];
      const openEventSource = vi.fn(() => {
        const source = { close: vi.fn(), onmessage: null, onerror: null, onopen: null, readyState: 0 };
        sources.push(source);
        return source as unknown as EventSource;
      });
      const connection = vi.fn();
      const unsubscribe = createHttpTransport({ token: 't', fetch: vi.fn(), openEventSource }).subscribe(() => {}, connection);
      sources[0]!.readyState = 2;
      sources[0]!.onerror?.();
      expect(connection).toHaveBeenLastCalledWith(false);
      vi.advanceTimersByTime(2_000);
      expect(openEventSource).toHaveBeenCalledTimes(2);
      sources[1]!.onopen?.();
      expect(connection).toHaveBeenLastCalledWith(true);

      sources[1]!.readyState = 2;
      sources[1]!.onerror?.();
      unsubscribe();
      vi.advanceTimersByTime(10_000);
      expect(openEventSource).toHaveBeenCalledTimes(2);
      expect(sources[1]!.close).toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });
});
