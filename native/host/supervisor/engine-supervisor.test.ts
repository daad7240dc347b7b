import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { RpcRequest, StudioEvent } from '../../contract';
import { EngineSupervisor, type HostChildHandlers } from './engine-supervisor';
import type { Logger } from '../../shared/log';
import { RestartPolicy } from './restart-policy';

/** A scripted host process: records what it was sent and lets the test answer, emit and crash. */
class FakeChild {
  readonly sent: RpcRequest[] = [];
  killed = false;
  constructor(readonly handlers: HostChildHandlers) {}
  postMessage(message: RpcRequest) {
    this.sent.push(message);
  }
  kill() {
    this.killed = true;
  }
  answer(index: number, result: unknown) {
    const request = this.sent[index];
    if (!request) throw new Error(`no request ${index}`);
    this.handlers.onMessage({ kind: 'result', id: request.id, ok: true, result });
  }
  emit(event: StudioEvent) {
    this.handlers.onMessage({ kind: 'event', event });
  }
  crash(code = 134) {
    this.handlers.onExit(code);
  }
}

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const CRASH_MESSAGE = 'The engine stopped unexpectedly (exit code 134); it is restarting. Saved work is kept.';

function setup() {
  let now = 0;
  const children: FakeChild[] = [];
  const events: StudioEvent[] = [];
  const supervisor = new EngineSupervisor({
    launch: (handlers) => {
      const child = new FakeChild(handlers);
      children.push(child);
      return child;
    },
    emit: (event) => events.push(event),
    policy: new RestartPolicy({ maxRestarts: 3, windowMs: 30_000, baseDelayMs: 500, maxDelayMs: 4_000 }, () => now),
    log: quiet,
  });
  const current = () => {
    const child = children.at(-1);
    if (!child) throw new Error('no child launched');
    return child;
  };
  const advance = (ms: number) => {
    now += ms;
    vi.advanceTimersByTime(ms);
  };
  return { supervisor, children, events, current, advance };
}

describe('EngineSupervisor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    return () => vi.useRealTimers();
  });

  it('forwards calls to the host and forwards its events to the window', async () => {
    const { supervisor, current, events } = setup();
    supervisor.start();
    expect(supervisor.state).toBe('running');
    const call = supervisor.call('getSettings', undefined);
    expect(current().sent).toEqual([{ kind: 'call', id: 1, method: 'getSettings', params: undefined }]);
    current().emit({ type: 'host', status: 'ready', message: null });
    current().answer(0, { ep: 'cpu' });
    await expect(call).resolves.toEqual({ ok: true, result: { ep: 'cpu' } });
    expect(events).toEqual([{ type: 'host', status: 'ready', message: null }]);
  });

  it('drops malformed host messages without disturbing pending calls', async () => {
    const { supervisor, current, events } = setup();
    supervisor.start();
    const call = supervisor.call('listModels', undefined);
    current().handlers.onMessage({ kind: 'event', event: { type: 'nonsense' } });
    current().handlers.onMessage('garbage');
    expect(events).toEqual([]);
    expect(supervisor.pendingCalls).toBe(1);
    current().answer(0, []);
    await expect(call).resolves.toEqual({ ok: true, result: [] });
  });

  it('on a crash: fails pending calls, says so, ends open jobs, and restarts after a delay', async () => {
    const { supervisor, children, current, events, advance } = setup();
    supervisor.start();
    const first = current();
    first.emit({ type: 'queued', jobId: 'j1', model: 'tiny', position: 0 });
    first.emit({ type: 'queued', jobId: 'j2', model: 'tiny', position: 1 });
    first.emit({ type: 'error', jobId: 'j2', message: 'bad prompt' });
    const pending = supervisor.call('listModels', undefined);
    events.length = 0;

    first.crash(134);
    await expect(pending).resolves.toEqual({ ok: false, error: { code: 'internal', message: CRASH_MESSAGE } });
    expect(events).toEqual([
      { type: 'host', status: 'crashed', message: CRASH_MESSAGE },
      { type: 'error', jobId: 'j1', message: 'The engine stopped while this job ran (exit code 134). Saved work is kept. Run it again.' },
    ]);
    expect(supervisor.state).toBe('waiting');

    // While it waits, calls fail at once instead of hanging.
    await expect(supervisor.call('getSettings', undefined)).resolves.toMatchObject({ ok: false, error: { code: 'internal', message: expect.stringMatching(/restarting/) } });

    advance(499);
    expect(children).toHaveLength(1);
    advance(1);
    expect(children).toHaveLength(2);
    expect(supervisor.state).toBe('running');
    expect(events.at(-1)).toEqual({ type: 'host', status: 'restarting', message: 'Restarting the engine (attempt 1 of 3).' });

    // The new host serves calls; the dead one is ignored even if a late message arrives.
    const next = supervisor.call('getSettings', undefined);
    first.handlers.onMessage({ kind: 'result', id: 2, ok: true, result: 'stale' });
    current().answer(0, 'fresh');
    await expect(next).resolves.toEqual({ ok: true, result: 'fresh' });
  });

  it('on a crash: ends open image jobs too, after forwarding their progress', () => {
    const { supervisor, current, events } = setup();
    supervisor.start();
    const parameters = { model: 'sd', prompt: 'a cat', negativePrompt: '', steps: 6, guidance: 7.5, seed: 1, scheduler: 'ddim' as const, precision: 'fp32', dynamicPrecision: null, width: 64, height: 64 };
    current().emit({ type: 'queued', jobId: 'img', model: 'sd', position: 0 });
    current().emit({ type: 'image-started', jobId: 'img', model: 'sd', ep: 'cpu', fallbackReason: null, parameters, operatingPoint: null });
    current().emit({ type: 'image-progress', jobId: 'img', step: 1, steps: 6, precision: 'fp32', preview: null });
    expect(events.map((event) => event.type)).toEqual(['queued', 'image-started', 'image-progress']);
    events.length = 0;
    current().crash(134);
    expect(events).toEqual([
      { type: 'host', status: 'crashed', message: CRASH_MESSAGE },
      { type: 'error', jobId: 'img', message: 'The engine stopped while this job ran (exit code 134). Saved work is kept. Run it again.' },
    ]);
  });

  it('backs off, then stays down after too many crashes in the window, until restarted by hand', async () => {
    const { supervisor, children, current, events, advance } = setup();
    supervisor.start();
    const delays: number[] = [];
    for (let crash = 0; crash < 3; crash++) {
      const before = children.length;
      current().crash(1);
      let waited = 0;
      while (children.length === before) {
        advance(100);
        waited += 100;
      }
      delays.push(waited);
    }
    expect(delays).toEqual([500, 1_000, 2_000]);

    events.length = 0;
    current().crash(1);
    expect(supervisor.state).toBe('down');
    expect(events).toEqual([
      {
        type: 'host',
        status: 'crashed',
        message: 'The engine stopped unexpectedly (exit code 1), 4 times within 30 s, so it was not restarted. Saved work is kept. Choose File > Restart Engine to try again.',
      },
    ]);
    advance(60_000);
    expect(children).toHaveLength(4);
    await expect(supervisor.call('listModels', undefined)).resolves.toMatchObject({ ok: false, error: { message: expect.stringMatching(/Restart Engine/) } });

    supervisor.restart();
    expect(children).toHaveLength(5);
    expect(supervisor.state).toBe('running');
    expect(events.at(-1)).toEqual({ type: 'host', status: 'restarting', message: 'Restarting the engine.' });
    // Past crashes are forgotten: the next crash restarts again.
    current().crash(1);
    expect(supervisor.state).toBe('waiting');
  });

  it('a restart by hand kills the running host, fails its calls, and ignores its exit', async () => {
    const { supervisor, children, current, events } = setup();
    supervisor.start();
    const old = current();
    const pending = supervisor.call('listModels', undefined);
    supervisor.restart();
    expect(old.killed).toBe(true);
    await expect(pending).resolves.toMatchObject({ ok: false, error: { code: 'internal', message: expect.stringMatching(/restarted/) } });
    old.crash(143);
    expect(events.filter((event) => event.type === 'host' && event.status === 'crashed')).toEqual([]);
    expect(children).toHaveLength(2);
    expect(supervisor.state).toBe('running');
  });

  it('stop() is not a crash: no restart, no crash event', async () => {
    const { supervisor, children, current, events, advance } = setup();
    supervisor.start();
    const child = current();
    const pending = supervisor.call('listModels', undefined);
    supervisor.stop();
    child.crash(0);
    advance(10_000);
    expect(child.killed).toBe(true);
    expect(children).toHaveLength(1);
    expect(events).toEqual([]);
    expect(supervisor.state).toBe('stopped');
    await expect(pending).resolves.toMatchObject({ ok: false });
    await expect(supervisor.call('listModels', undefined)).resolves.toMatchObject({ ok: false, error: { message: 'The engine is not running.' } });
  });

  it('stop() during the restart delay cancels the restart', () => {
    const { supervisor, children, current, advance } = setup();
    supervisor.start();
    current().crash(9);
    supervisor.stop();
    advance(10_000);
    expect(children).toHaveLength(1);
    expect(supervisor.state).toBe('stopped');
  });

  it('treats a host that cannot even be launched as a crash', () => {
    const events: StudioEvent[] = [];
    let launches = 0;
    const supervisor = new EngineSupervisor({
      launch: () => {
        launches++;
        throw new Error('host.js not found');
      },
      emit: (event) => events.push(event),
      policy: new RestartPolicy({ maxRestarts: 1, windowMs: 30_000, baseDelayMs: 10, maxDelayMs: 10 }, () => 0),
      log: quiet,
    });
    supervisor.start();
    expect(events[0]).toEqual({
      type: 'host',
      status: 'crashed',
      message: 'The engine stopped unexpectedly (it could not start: host.js not found); it is restarting. Saved work is kept.',
    });
    vi.advanceTimersByTime(10);
    expect(launches).toBe(2);
    expect(supervisor.state).toBe('down');
  });
});
