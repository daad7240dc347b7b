import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryPage } from '../contract';
import { temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';

const PARETO = path.resolve(__dirname, '../../bin/pareto.js');
const children: ChildProcess[] = [];
afterEach(() => children.splice(0).forEach((child) => child.kill('SIGKILL')));

interface Served {
  child: ChildProcess;
  call(method: string, body: unknown): Promise<unknown>;
  /** Resolves on the first event the predicate accepts. */
  waitForEvent(accept: (event: { type: string; jobId?: string }) => boolean): Promise<void>;
}

/** A real `pareto serve` child on a free port, with its API and event stream. */
async function serve(home: string): Promise<Served> {
  const child = spawn(process.execPath, [PARETO, 'serve', '--port', '0', '--model', tinyStoriesOnnx()], {
    env: { ...process.env, PARETO_HOME: home, PARETO_MODELS_DIR: temporaryDir() },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const url = new URL(
    await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /(http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`pareto serve exited with ${code}: ${output}`)));
    }),
  );
  const headers = { Authorization: `Bearer ${url.hash.slice('#token='.length)}`, 'Content-Type': 'application/json' };
  const call = async (method: string, body: unknown) => {
    const response = await fetch(`${url.origin}/api/${method}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method}: ${JSON.stringify(json)}`);
    return json;
  };
  const waitForEvent = async (accept: (event: { type: string; jobId?: string }) => boolean) => {
    const response = await fetch(`${url.origin}/api/events`, { headers });
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      if (lines.some((line) => line.startsWith('data: ') && accept(JSON.parse(line.slice(6))))) return;
    }
  };
  return { child, call, waitForEvent };
}

async function finishStory(served: Served, prompt: string): Promise<void> {
  let jobId = '';
  const done = served.waitForEvent((event) => event.type === 'done' && event.jobId === jobId);
  ({ jobId } = (await served.call('startTextJob', { prompt, maxNewTokens: 8, seed: 1, temperature: 0.9 })) as { jobId: string });
  await done;
}

describe('history across a crash', () => {
  it('keeps every earlier entry when the server is killed with SIGKILL mid-generation', async () => {
    const home = temporaryDir();
    const first = await serve(home);
    await finishStory(first, 'A fox');
    await finishStory(first, 'A bear');
    const before = (await first.call('listHistory', {})) as HistoryPage;
    expect(before.entries.map((entry) => entry.prompt)).toEqual(['A bear', 'A fox']);

    let jobId = '';
    const streaming = first.waitForEvent((event) => event.type === 'tokens' && event.jobId === jobId);
    ({ jobId } = (await first.call('startTextJob', { prompt: 'A long tale', maxNewTokens: 400, minNewTokens: 400, seed: 2, temperature: 0.9 })) as { jobId: string });
    await streaming;
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await exited;

    const second = await serve(home);
    const after = (await second.call('listHistory', {})) as HistoryPage;
    expect(after.notice).toBeNull();
    expect(after.entries).toEqual(before.entries);
    await finishStory(second, 'A wolf');
    expect(((await second.call('listHistory', {})) as HistoryPage).entries.map((entry) => entry.prompt)).toEqual(['A wolf', 'A bear', 'A fox']);
  }, 120_000);
});
