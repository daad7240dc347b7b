import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { API_METHOD_NAMES } from '../contract';
import { OPENAI_ROUTES } from '../contract/openai';
import { apiServerForTests } from '../testing/api-server';
import { temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';

/** Payloads per route: with every contract method and /v1 route this is well over 2,000 a run. */
const RUNS_PER_ROUTE = 100;
/** A request that takes longer than this counts as a hang. */
const HANG_MS = 15_000;

const FIELD_NAMES = ['model', 'prompt', 'messages', 'maxNewTokens', 'minNewTokens', 'temperature', 'topK', 'topP', 'seed', 'lambda', 'precision', 'depth', 'window', 'sinks', 'logitBias', 'stop', 'path', 'jobId', 'id', 'png', 'width', 'height', 'steps', 'scheduler', 'guidance', 'family', 'kind', 'ep', 'repeats', 'tokens', 'modes', 'search', 'offset', 'limit', 'historyLimit', 'sessionCacheMb', 'threads', 'importedModels', 'max_tokens', 'n', 'stream', 'size', 'response_format', 'pareto', 'role', 'content', '__proto__', 'constructor'];
const EDGE_VALUES = [null, true, -1, 0, 0.5, 1, 2 ** 31, 1e308, -1e308, '', ' ', 'tinystories-656k-onnx', tinyStoriesOnnx(), '/etc/passwd', '../../../etc/passwd', '%ZZ', '\u0000', 'x'.repeat(5000), [], {}, [{ role: 'user', content: 'hi' }]];

const value = fc.oneof(fc.constantFrom(...EDGE_VALUES), fc.double(), fc.integer(), fc.string(), fc.jsonValue({ maxDepth: 2 }));
const shapedObject = fc.dictionary(fc.constantFrom(...FIELD_NAMES), value, { maxKeys: 6 });
const body = fc.oneof(
  shapedObject.map((object) => JSON.stringify(object)),
  fc.jsonValue({ maxDepth: 3 }).map((json) => JSON.stringify(json)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('', '{', '[1,2,3]', 'null', '{"__proto__":{"polluted":true}}', '{"a":'.repeat(2000)),
);
const percentJunk = fc.stringMatching(/^[a-zA-Z0-9%/._~-]{0,40}$/);

interface Tally {
  tried: number;
  serverErrors: string[];
  hangs: string[];
}

const tally: Tally = { tried: 0, serverErrors: [], hangs: [] };
function rendererFolder(): string {
  const dir = temporaryDir();
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>studio</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'app.js'), '');
  return dir;
}

const api = apiServerForTests(() => ({ dataDir: temporaryDir(), bundledModelsDir: null, modelPaths: [tinyStoriesOnnx()] }), rendererFolder);

async function send(method: 'GET' | 'POST', route: string, payload?: string): Promise<number> {
  tally.tried++;
  const what = `${method} ${route} ${payload?.slice(0, 200) ?? ''}`;
  try {
    const response = await fetch(`http://127.0.0.1:${api.server.port}${route}`, {
      method,
      headers: { Authorization: `Bearer ${api.server.token}`, 'Content-Type': 'application/json' },
      body: payload,
      signal: AbortSignal.timeout(HANG_MS),
    });
    await response.arrayBuffer();
    if (response.status >= 500) tally.serverErrors.push(`${response.status} ${what}`);
    return response.status;
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') tally.hangs.push(what);
    else throw error;
    return 0;
  }
}

const fuzzRoute = (method: 'GET' | 'POST', route: string) => fc.assert(fc.asyncProperty(body, async (payload) => void (await send(method, route, method === 'POST' ? payload : undefined))), { numRuns: RUNS_PER_ROUTE });

afterAll(() => console.log(`[fuzz] ${tally.tried} payloads, ${tally.serverErrors.length} 5xx, ${tally.hangs.length} hangs`));

describe('fuzzing every contract method and /v1 route (bad input is never a 5xx, the host keeps serving)', { timeout: 120_000 }, () => {
  it('answers every contract method', async () => {
    for (const method of API_METHOD_NAMES) await fuzzRoute('POST', `/api/${method}`);
    expect(tally.serverErrors).toEqual([]);
  });

  it('answers every /v1 route', async () => {
    await fuzzRoute('GET', OPENAI_ROUTES.models);
    for (const route of [OPENAI_ROUTES.completions, OPENAI_ROUTES.chatCompletions, OPENAI_ROUTES.imageGenerations]) await fuzzRoute('POST', route);
    expect(tally.serverErrors).toEqual([]);
  });

  it('answers any URL, malformed percent-encoding included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/', '/api/', '/v1/', '/assets/'), percentJunk, fc.constantFrom('GET' as const, 'POST' as const), async (prefix, junk, method) => void (await send(method, `${prefix}${junk}`, method === 'POST' ? '{}' : undefined))),
      { numRuns: RUNS_PER_ROUTE * 3 },
    );
    expect(tally.serverErrors).toEqual([]);
  });

  it('still serves after it all, with no hang', async () => {
    expect(tally.tried).toBeGreaterThanOrEqual(2000);
    expect(tally.hangs).toEqual([]);
    expect(await send('POST', '/api/listModels')).toBe(200);
    const completion = await api.client.completions.create({ model: 'tinystories-656k-onnx', prompt: 'Once upon a time', max_tokens: 4 });
    expect(completion.choices[0]!.text.length).toBeGreaterThan(0);
  });
});
