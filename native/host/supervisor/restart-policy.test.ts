import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, RestartPolicy } from './restart-policy';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('RestartPolicy', () => {
  it('restarts with a doubling delay, then gives up after three restarts within 30 s', () => {
    const time = clock();
    const policy = new RestartPolicy(DEFAULT_RESTART_POLICY, time.now);
    expect(policy.recordCrash()).toEqual({ action: 'restart', delayMs: 500, attempt: 1, maxRestarts: 3 });
    time.advance(1_000);
    expect(policy.recordCrash()).toEqual({ action: 'restart', delayMs: 1_000, attempt: 2, maxRestarts: 3 });
    time.advance(1_000);
    expect(policy.recordCrash()).toEqual({ action: 'restart', delayMs: 2_000, attempt: 3, maxRestarts: 3 });
    time.advance(1_000);
    expect(policy.recordCrash()).toEqual({ action: 'give-up', crashes: 4, windowMs: 30_000 });
  });

  it('forgets crashes older than the window', () => {
    const time = clock();
    const policy = new RestartPolicy(DEFAULT_RESTART_POLICY, time.now);
    policy.recordCrash();
    policy.recordCrash();
    policy.recordCrash();
    time.advance(30_000);
    expect(policy.recordCrash()).toMatchObject({ action: 'restart', attempt: 1, delayMs: 500 });
  });

  it('caps the delay', () => {
    const policy = new RestartPolicy({ maxRestarts: 10, windowMs: 60_000, baseDelayMs: 1_000, maxDelayMs: 3_000 }, () => 0);
    const delays = Array.from({ length: 5 }, () => policy.recordCrash()).map((d) => (d.action === 'restart' ? d.delayMs : -1));
    expect(delays).toEqual([1_000, 2_000, 3_000, 3_000, 3_000]);
  });

  it('starts over after reset (a restart asked for by hand)', () => {
    const policy = new RestartPolicy(DEFAULT_RESTART_POLICY, () => 0);
    for (let i = 0; i < 4; i++) policy.recordCrash();
    policy.reset();
    expect(policy.recordCrash()).toMatchObject({ action: 'restart', attempt: 1 });
  });

  it('refuses a policy that cannot work', () => {
    expect(() => new RestartPolicy({ maxRestarts: 3, windowMs: 0, baseDelayMs: 1, maxDelayMs: 2 })).toThrow(/windowMs > 0/);
    expect(() => new RestartPolicy({ maxRestarts: 3, windowMs: 10, baseDelayMs: 5, maxDelayMs: 2 })).toThrow(/baseDelayMs ≤ maxDelayMs/);
  });
});
