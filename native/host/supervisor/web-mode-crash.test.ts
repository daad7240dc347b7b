import { fork } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudioEvent } from '../../contract';
import { temporaryDir, tinyStoriesOnnx } from '../../testing/fixtures';
import { openAiRoutes } from '../openai-api';
import { startWebServer, type RunningWebServer } from '../web-server';
import { forkHostLauncher } from './fork-launcher';
import { RestartPolicy } from './restart-policy';
import { SupervisedHost } from './supervised-host';

const HOST_ENTRY = path.join(import.meta.dirname, '../host-entry.ts');
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** The page's view of the server: every event of `/api/events`, as the browser's EventSource would get them. */
async function openEvents(base: string, token: string): Promise<{ events: StudioEvent[]; next(match: (event: StudioEvent) => boolean): Promise<StudioEvent>; close(): void }> {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/events?token=${token}`, { signal: controller.signal });
  const events: StudioEvent[] = [];
  const waiters: { match: (event: StudioEvent) => boolean; resolve: (event: StudioEvent) => void }[] = [];
  const deliver = (event: StudioEvent) => {
    events.push(event);
    for (const waiter of waiters.filter((candidate) => candidate.match(event))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  };
  void (async () => {
    let buffered = '';
    for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      const blocks = buffered.split('\n\n');
      buffered = blocks.pop()!;
      for (const block of blocks) if (block.startsWith('data: ')) deliver(JSON.parse(block.slice(6)) as StudioEvent);
    }
  })().catch(() => {});
  return {
    events,
    next: (match) => {
      const seen = events.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ match, resolve }));
    },
    close: () => controller.abort(),
  };
}

describe('the web mode with its engine in a supervised child process', () => {
  const pids: (number | undefined)[] = [];
  let host: SupervisedHost;
  let server: RunningWebServer;
  let base: string;

  beforeAll(async () => {
    const launch = forkHostLauncher({
      modulePath: HOST_ENTRY,
      args: ['--model', tinyStoriesOnnx()],
      env: { ...process.env, PARETO_HOME: temporaryDir(), PARETO_MODELS_DIR: temporaryDir() },
    });
    host = new SupervisedHost({
      launch: (handlers) => {
        const child = launch(handlers);
        pids.push(child.pid);
        return child;
      },
      policy: new RestartPolicy({ maxRestarts: 3, windowMs: 30_000, baseDelayMs: 50, maxDelayMs: 200 }),
      log: quiet,
    });
    host.supervisor.start();
    server = await startWebServer({ host, port: 0, staticDir: null, extraRoutes: [openAiRoutes(host)] });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
    host.supervisor.stop();
  });

  const post = (route: string, body: unknown) =>
    fetch(`${base}${route}`, { method: 'POST', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const long = { model: tinyStoriesOnnx(), prompt: 'Once upon a time', maxNewTokens: 450, minNewTokens: 450 };

  it('fails the page’s job and the API’s request with a clear error when the engine is killed mid-generation, restarts it, and runs the next job', async () => {
    const page = await openEvents(base, server.token);
    const { jobId } = (await (await post('/api/startTextJob', long)).json()) as { jobId: string };
    const apiAnswer = post('/v1/completions', { model: 'tinystories-656k-onnx', prompt: 'Tom', max_tokens: 400, min_tokens: 400 });
    await page.next((event) => event.type === 'started' && event.jobId === jobId);
    process.kill(pids.at(-1)!, 'SIGKILL');

    const failed = await page.next((event) => event.type === 'error' && event.jobId === jobId);
    expect(failed).toMatchObject({ message: expect.stringMatching(/^The engine stopped while this job ran \(exit code 137\)\. Saved work is kept\. Run it again\.$/) });
    expect(page.events).toContainEqual(expect.objectContaining({ type: 'host', status: 'crashed' }));
    const answer = await apiAnswer;
    expect(answer.status).toBe(500);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/The engine stopped/);

    await page.next((event) => event.type === 'host' && event.status === 'ready' && page.events.some((seen) => seen.type === 'host' && seen.status === 'restarting'));
    expect(pids).toHaveLength(2);
    const next = (await (await post('/api/startTextJob', { model: tinyStoriesOnnx(), prompt: 'Once', maxNewTokens: 4 })).json()) as { jobId: string };
    const done = await page.next((event) => (event.type === 'done' || event.type === 'error') && event.jobId === next.jobId);
    expect(done.type).toBe('done');
    page.close();
  });

  it('passes a request the host refuses back as the API error it is', async () => {
    const response = await post('/api/startTextJob', { prompt: 42 });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/^startTextJob: prompt:/);
  });
});

describe('the host entry in a forked child', () => {
  it('answers a malformed request that has an id with an error, rather than dropping it', async () => {
    const child = fork(HOST_ENTRY, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, PARETO_HOME: temporaryDir(), PARETO_MODELS_DIR: temporaryDir() }, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], serialization: 'advanced' });
    try {
      const answer = new Promise<unknown>((resolve) => child.on('message', (message: { kind: string }) => message.kind === 'result' && resolve(message)));
      child.once('message', () => child.send({ kind: 'call', id: 7, method: 42 }));
      expect(await answer).toEqual({ kind: 'result', id: 7, ok: false, error: { code: 'bad_request', message: expect.stringMatching(/^The engine received a malformed request: /) } });
    } finally {
      child.kill();
    }
  });
});
