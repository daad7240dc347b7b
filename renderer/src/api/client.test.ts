import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../native/contract';
import { createStudioApi, subscribeStudioEvents } from './client';
import type { Transport } from './transport';

function fakeTransport(result: unknown): Transport & { emit: (payload: unknown) => void } {
  let listener: (payload: unknown) => void = () => {};
  return {
    kind: 'ipc',
    call: vi.fn(async () => result),
    subscribe: (next) => {
      listener = next;
      return () => {};
    },
    emit: (payload) => listener(payload),
  };
}

describe('createStudioApi', () => {
  it('passes params through and returns a valid result', async () => {
    const transport = fakeTransport({ cancelled: true });
    await expect(createStudioApi(transport).cancelJob({ jobId: 'j' })).resolves.toEqual({ cancelled: true });
    expect(transport.call).toHaveBeenCalledWith('cancelJob', { jobId: 'j' });
  });

  it('rejects a result that does not match the method schema', async () => {
    const api = createStudioApi(fakeTransport({ cancelled: 'yes' }));
    const error = await api.cancelJob({ jobId: 'j' }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toMatch(/invalid cancelJob result/);
  });
});

describe('subscribeStudioEvents', () => {
  it('delivers valid events and drops invalid ones with a warning', () => {
    const transport = fakeTransport(null);
    const listener = vi.fn();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    subscribeStudioEvents(transport, listener);

    transport.emit({ type: 'tokens', jobId: 'j', ids: [1, 2], text: 'Once upon' });
    transport.emit({ type: 'tokens', jobId: 'j', ids: ['x'], text: 'bad' });
    transport.emit({ type: 'nonsense' });

    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith({ type: 'tokens', jobId: 'j', ids: [1, 2], text: 'Once upon' });
    expect(warn).toHaveBeenCalledTimes(2);
    warn.mockRestore();
  });
});
