import fs from 'node:fs';
import path from 'node:path';
import type { StudioEvent } from '../contract';
import { openAiRoutes } from '../host/openai-api';
import { StudioHost } from '../host/studio-host';
import { startWebServer, type RunningWebServer } from '../host/web-server';

export interface SoakOptions {
  jobs: number;
  clients: number;
  dataDir: string;
  textModel: string;
  imageModel: string;
  /** Jobs run before the memory baseline is taken. */
  warmupJobs: number;
}

export interface SoakFigures {
  jobs: number;
  finished: number;
  cancelled: number;
  refused: number;
  failed: string[];
  hangs: number;
  rssAfterWarmupMb: number;
  rssEndMb: number;
  rssGrowthPercent: number;
  /** Finished outputs that the history does not hold. */
  lost: string[];
  settingsIntact: boolean;
  wallS: number;
}

const KINDS = ['text', 'completion', 'chat', 'image', 'cancel', 'settings'] as const;
type Kind = (typeof KINDS)[number];
const JOB_DEADLINE_MS = 120_000;
const HISTORY_PAGE = 200;
const FINAL_TYPES = new Set(['done', 'image-done', 'error']);

type Outcome = { kind: 'finished'; jobId: string } | { kind: 'cancelled' | 'refused' | 'settings' } | { kind: 'failed'; why: string };

/** Follows /api jobs through the host's own event stream: a job may end before its start call has answered. */
class JobEnds {
  private readonly ended = new Map<string, StudioEvent>();
  private readonly waiting = new Map<string, (event: StudioEvent) => void>();

  constructor(host: StudioHost) {
    host.onEvent((event) => {
      if (event.type === 'host' || !FINAL_TYPES.has(event.type)) return;
      const waiter = this.waiting.get(event.jobId);
      if (waiter) waiter(event);
      else this.ended.set(event.jobId, event);
    });
  }

  wait(jobId: string): Promise<StudioEvent> {
    const early = this.ended.get(jobId);
    if (early) return Promise.resolve(early);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`job ${jobId} hung`)), JOB_DEADLINE_MS);
      this.waiting.set(jobId, (event) => {
        clearTimeout(timer);
        this.waiting.delete(jobId);
        resolve(event);
      });
    });
  }
}

/** One loopback client: its own user agent (so its own job cap), the token, JSON in and out. */
function clientOf(server: RunningWebServer, name: string) {
  return async (route: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const response = await fetch(`http://127.0.0.1:${server.port}${route}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json', 'User-Agent': name },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(JOB_DEADLINE_MS),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
}

async function runOne(kind: Kind, n: number, post: ReturnType<typeof clientOf>, ends: JobEnds, options: SoakOptions, lambdas: number[]): Promise<Outcome> {
  const prompt = `Once upon a time ${n}`;
  const started = async (route: string, body: unknown, cancel = false): Promise<Outcome> => {
    const { status, json } = await post(route, body);
    if (status === 429) return { kind: 'refused' };
    if (status !== 200) return { kind: 'failed', why: `${route} ${status} ${JSON.stringify(json)}` };
    const jobId = json.jobId as string;
    if (cancel) await post('/api/cancelJob', { jobId });
    const end = await ends.wait(jobId);
    if (end.type === 'error') return cancel ? { kind: 'cancelled' } : { kind: 'failed', why: end.message };
    return { kind: 'finished', jobId };
  };
  switch (kind) {
    case 'text':
      return started('/api/startTextJob', { model: options.textModel, prompt, maxNewTokens: 16, seed: n });
    case 'cancel':
      return started('/api/startTextJob', { model: options.textModel, prompt, maxNewTokens: 400, minNewTokens: 400, seed: n }, true);
    case 'image':
      return started('/api/startImageJob', { model: options.imageModel, prompt: 'a red circle', steps: 2, seed: n });
    case 'settings': {
      const lambda = Math.round((n % 11) * 10) / 100;
      lambdas.push(lambda);
      const { status } = await post('/api/updateSettings', { lambda });
      return status === 200 ? { kind: 'settings' } : { kind: 'failed', why: `updateSettings ${status}` };
    }
    case 'completion':
    case 'chat': {
      const route = kind === 'chat' ? '/v1/chat/completions' : '/v1/completions';
      const body = kind === 'chat' ? { model: path.basename(options.textModel), messages: [{ role: 'user', content: prompt }], max_tokens: 16 } : { model: path.basename(options.textModel), prompt, max_tokens: 16 };
      const { status, json } = await post(route, body);
      if (status === 429) return { kind: 'refused' };
      if (status !== 200) return { kind: 'failed', why: `${route} ${status} ${JSON.stringify(json)}` };
      return { kind: 'finished', jobId: (json.id as string).replace(/^(cmpl|chatcmpl)-/, '') };
    }
  }
}

async function historyIds(host: StudioHost): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let offset = 0; ; offset += HISTORY_PAGE) {
    const page = await host.invoke('listHistory', { offset, limit: HISTORY_PAGE });
    page.entries.forEach((entry) => ids.add(entry.id));
    if (offset + HISTORY_PAGE >= page.total) return ids;
  }
}

/**
 * Mixed jobs (stories over /api and /v1, chats, images, cancels, settings changes) from loopback clients at
 * once against one host and web server, then the data check: every finished output is in the history,
 * settings on disk match memory and the imported model is still there.
 */
export async function runSoak(options: SoakOptions): Promise<SoakFigures> {
  const startedAt = performance.now();
  const host = new StudioHost({ dataDir: options.dataDir, bundledModelsDir: null });
  const server = await startWebServer({ host, port: 0, staticDir: null, extraRoutes: [openAiRoutes(host)] });
  const ends = new JobEnds(host);
  const lambdas: number[] = [];
  const outcomes: Outcome[] = [];
  let hangs = 0;
  let rssAfterWarmup = 0;
  try {
    await host.invoke('importModel', { path: options.textModel });
    let next = 0;
    const client = async (name: string) => {
      const post = clientOf(server, name);
      for (let n = next++; n < options.jobs; n = next++) {
        try {
          outcomes.push(await runOne(KINDS[n % KINDS.length]!, n, post, ends, options, lambdas));
        } catch (error) {
          if (/hung|timeout/i.test((error as Error).message)) hangs++;
          else outcomes.push({ kind: 'failed', why: (error as Error).message });
        }
        if (outcomes.length === options.warmupJobs) rssAfterWarmup = process.memoryUsage.rss();
      }
    };
    await Promise.all(Array.from({ length: options.clients }, (_, index) => client(`soak-client-${index}`)));
    const rssEnd = process.memoryUsage.rss();
    const finished = outcomes.flatMap((outcome) => (outcome.kind === 'finished' ? [outcome.jobId] : []));
    const kept = await historyIds(host);
    const onDisk = JSON.parse(fs.readFileSync(path.join(options.dataDir, 'settings.json'), 'utf8'));
    const inMemory = host.settings.get();
    const settingsIntact = JSON.stringify(onDisk) === JSON.stringify(inMemory) && lambdas.includes(inMemory.lambda) && inMemory.importedModels.includes(path.resolve(options.textModel));
    return {
      jobs: options.jobs,
      finished: finished.length,
      cancelled: outcomes.filter((outcome) => outcome.kind === 'cancelled').length,
      refused: outcomes.filter((outcome) => outcome.kind === 'refused').length,
      failed: outcomes.flatMap((outcome) => (outcome.kind === 'failed' ? [outcome.why] : [])),
      hangs,
      rssAfterWarmupMb: rssAfterWarmup / 2 ** 20,
      rssEndMb: rssEnd / 2 ** 20,
      rssGrowthPercent: rssAfterWarmup ? ((rssEnd - rssAfterWarmup) / rssAfterWarmup) * 100 : 0,
      lost: finished.filter((jobId) => !kept.has(jobId)),
      settingsIntact,
      wallS: (performance.now() - startedAt) / 1000,
    };
  } finally {
    await server.close();
    await host.dispose();
  }
}
