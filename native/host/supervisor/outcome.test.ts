import { describe, expect, it } from 'vitest';
import { API_METHOD_NAMES } from '../../contract';
import { checkMethod, failure } from './outcome';

describe('checkMethod', () => {
  it('accepts every method of the contract', () => {
    for (const method of API_METHOD_NAMES) expect(checkMethod(method)).toEqual({ ok: true, method });
  });

  it('refuses anything else with not_found (as the host does) and lists the valid methods', () => {
    const refused = checkMethod('deleteEverything');
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.outcome).toEqual({
      ok: false,
      error: { code: 'not_found', message: `Unknown method "deleteEverything"; it should be one of: ${API_METHOD_NAMES.join(', ')}.` },
    });
    for (const method of [undefined, null, 42, { name: 'listModels' }, '__proto__', 'constructor', 'toString']) {
      expect(checkMethod(method).ok).toBe(false);
    }
  });

  it('builds failure envelopes', () => {
    expect(failure('unauthorized', 'no')).toEqual({ ok: false, error: { code: 'unauthorized', message: 'no' } });
  });
});
