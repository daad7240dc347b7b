import { describe, expect, it, vi } from 'vitest';
import type { RpcRequest } from '../../contract';
import { RpcClient, parseHostMessage } from './rpc-client';

function client() {
  const sent: RpcRequest[] = [];
  return { sent, rpc: new RpcClient((request) => sent.push(request)) };
}

describe('RpcClient', () => {
  it('numbers calls and resolves each by the id of its response, in any order', async () => {
    const { sent, rpc } = client();
    const first = rpc.call('listModels', undefined);
    const second = rpc.call('getSettings', undefined);
    expect(sent).toEqual([
      { kind: 'call', id: 1, method: 'listModels', params: undefined },
      { kind: 'call', id: 2, method: 'getSettings', params: undefined },
    ]);
    expect(rpc.pendingCount).toBe(2);
    expect(rpc.settle(2, { ok: true, result: 'settings' })).toBe(true);
    expect(rpc.settle(1, { ok: false, error: { code: 'not_found', message: 'none' } })).toBe(true);
    await expect(second).resolves.toEqual({ ok: true, result: 'settings' });
    await expect(first).resolves.toEqual({ ok: false, error: { code: 'not_found', message: 'none' } });
    expect(rpc.pendingCount).toBe(0);
  });

  it('ignores a response nobody waits for, and a second response to the same id', async () => {
    const { rpc } = client();
    expect(rpc.settle(7, { ok: true, result: null })).toBe(false);
    const call = rpc.call('listProviders', undefined);
    expect(rpc.settle(1, { ok: true, result: [] })).toBe(true);
    expect(rpc.settle(1, { ok: true, result: ['late'] })).toBe(false);
    await expect(call).resolves.toEqual({ ok: true, result: [] });
  });

  it('keeps a call without a timeout pending until answered or failed', async () => {
    const { rpc } = client();
    let settled = false;
    const call = rpc.call('startTextJob', { model: 'm', prompt: 'p' }).then((outcome) => {
      settled = true;
      return outcome;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    expect(rpc.failAll({ code: 'internal', message: 'engine gone' })).toBe(1);
    await expect(call).resolves.toEqual({ ok: false, error: { code: 'internal', message: 'engine gone' } });
  });

  it('fails a call at once when it cannot be sent', async () => {
    const rpc = new RpcClient(() => {
      throw new Error('the engine is not running');
    });
    await expect(rpc.call('listModels', undefined)).resolves.toEqual({
      ok: false,
      error: { code: 'internal', message: 'Could not send listModels to the engine: the engine is not running.' },
    });
    expect(rpc.pendingCount).toBe(0);
  });
});

describe('RpcClient timeouts and cancellation', () => {
  it('fails a call that gets no answer within its timeout, and ignores the late answer', async () => {
    vi.useFakeTimers();
    try {
      const { rpc } = client();
      const call = rpc.call('listModels', undefined, { timeoutMs: 5_000 });
      vi.advanceTimersByTime(5_000);
      await expect(call).resolves.toEqual({ ok: false, error: { code: 'internal', message: 'The engine did not answer listModels within 5 s.' } });
      expect(rpc.pendingCount).toBe(0);
      expect(rpc.settle(1, { ok: true, result: [] })).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails a call when its signal aborts, before or after it was sent', async () => {
    const { sent, rpc } = client();
    const controller = new AbortController();
    const call = rpc.call('startTextJob', { prompt: 'p' }, { signal: controller.signal });
    controller.abort();
    await expect(call).resolves.toEqual({ ok: false, error: { code: 'internal', message: 'The call startTextJob was cancelled.' } });
    await expect(rpc.call('listModels', undefined, { signal: AbortSignal.abort() })).resolves.toMatchObject({ ok: false });
    expect(sent).toHaveLength(1);
    expect(rpc.pendingCount).toBe(0);
  });
});

describe('parseHostMessage', () => {
  it('reads results, errors and events of the protocol', () => {
    expect(parseHostMessage({ kind: 'result', id: 3, ok: true, result: { a: 1 } })).toEqual({ kind: 'response', id: 3, outcome: { ok: true, result: { a: 1 } } });
    expect(parseHostMessage({ kind: 'result', id: 4, ok: false, error: { code: 'bad_request', message: 'prompt is required' } })).toEqual({
      kind: 'response',
      id: 4,
      outcome: { ok: false, error: { code: 'bad_request', message: 'prompt is required' } },
    });
    const ready = { type: 'host', status: 'ready', message: null };
    expect(parseHostMessage({ kind: 'event', event: ready })).toEqual({ kind: 'event', event: ready });
  });

  it('turns an error body outside the contract into an internal error, still answering the call', () => {
    const parsed = parseHostMessage({ kind: 'result', id: 5, ok: false, error: { code: 'weird', message: 3 } });
    expect(parsed).toMatchObject({ kind: 'response', id: 5, outcome: { ok: false, error: { code: 'internal' } } });
  });

  it('rejects messages outside the protocol', () => {
    for (const message of [null, 'hi', [], { kind: 'nope' }, { kind: 'result', id: 'x', ok: true }, { kind: 'result', id: 1.5, ok: true }, { kind: 'result', id: 1 }, { kind: 'event', event: { type: 'host', status: 'exploded', message: null } }]) {
      expect(parseHostMessage(message).kind).toBe('invalid');
    }
  });
});
