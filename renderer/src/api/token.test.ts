import { describe, expect, it, vi } from 'vitest';
import { readTokenFromHash, resolveWebToken, type TokenEnvironment } from './token';

function environment(hash: string, stored: string | null = null) {
  const values = new Map<string, string>(stored ? [['pareto.token', stored]] : []);
  const env = {
    location: { hash, pathname: '/', search: '?x=1' },
    history: { state: null, replaceState: vi.fn() },
    storage: { getItem: (key: string) => values.get(key) ?? null, setItem: (key: string, value: string) => void values.set(key, value) },
  } satisfies TokenEnvironment;
  return { env, values };
}

describe('readTokenFromHash', () => {
  it('reads the token with or without the leading #', () => {
    expect(readTokenFromHash('#token=abc123')).toBe('abc123');
    expect(readTokenFromHash('token=abc123&view=models')).toBe('abc123');
  });

  it('returns null when there is no token or it is empty', () => {
    expect(readTokenFromHash('')).toBeNull();
    expect(readTokenFromHash('#token=')).toBeNull();
    expect(readTokenFromHash('#other=1')).toBeNull();
  });
});

describe('resolveWebToken', () => {
  it('stores the token from the hash and removes it from the address bar', () => {
    const { env, values } = environment('#token=t1');
    expect(resolveWebToken(env)).toBe('t1');
    expect(values.get('pareto.token')).toBe('t1');
    expect(env.history.replaceState).toHaveBeenCalledWith(null, '', '/?x=1');
  });

  it('falls back to the token kept from an earlier load of this tab', () => {
    const { env } = environment('', 'kept');
    expect(resolveWebToken(env)).toBe('kept');
    expect(env.history.replaceState).not.toHaveBeenCalled();
  });

  it('prefers a new token in the hash over a kept one', () => {
    const { env, values } = environment('#token=new', 'old');
    expect(resolveWebToken(env)).toBe('new');
    expect(values.get('pareto.token')).toBe('new');
  });

  it('returns null when there is no token anywhere', () => {
    expect(resolveWebToken(environment('').env)).toBeNull();
  });
});
