import { describe, expect, it } from 'vitest';
import { expectOneLineError, pareto } from '../testing/cli';
import { sdFixture, temporaryDir, tinyStoriesOnnx } from '../testing/fixtures';

interface ReaderInfo {
  id: string;
  available: boolean;
  source: string | null;
  reason: string | null;
  inUse: boolean;
}

/** What `pareto energy --json` says about this machine: the figures below must agree with it. */
async function energyStatus() {
  const result = await pareto('energy', '--json');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { readers: ReaderInfo[]; inUse: string; source: string; estimated: boolean; controller: { enabled: boolean } };
}

describe('pareto energy', () => {
  it('lists every reader, says why each unavailable one is, and which one is in use', async () => {
    const status = await energyStatus();
    expect(status.readers.map((reader) => reader.id)).toEqual(['rapl+nvidia-smi', 'rapl', 'nvidia-smi', 'windows-emi', 'macos-battery', 'linux-battery', 'windows-battery', 'estimate']);
    expect(status.controller.enabled).toBe(false);
    for (const reader of status.readers) expect(reader.available ? reader.source : reader.reason).toEqual(expect.any(String));
    expect(status.readers.filter((reader) => reader.inUse).map((reader) => reader.id)).toEqual([status.inUse]);
    expect(status.estimated).toBe(status.inUse === 'estimate');
    const text = await pareto('energy');
    expect(text.stdout).toContain(`energy source: ${status.source} (${status.estimated ? 'estimated' : 'measured'})`);
    expect(text.stdout).toMatch(/estimate: energy ≈ process CPU seconds × watts per busy core/);
  });

  it('reports energy from generate text and generate image, with a range when estimated (as it is on a machine without counters)', async () => {
    const { source, estimated } = await energyStatus();
    const text = JSON.parse((await pareto('generate', 'text', '--model', tinyStoriesOnnx(), '--prompt', 'Once upon a time', '--max-new-tokens', '40', '--greedy', '--json')).stdout);
    const image = JSON.parse((await pareto('generate', 'image', '--model', sdFixture(), '--prompt', 'a red square', '--steps', '4', '--out', `${temporaryDir()}/out.png`, '--json')).stdout);
    for (const metrics of [text.metrics, image.metrics]) {
      expect(metrics.energySource).toBe(source);
      expect(metrics.energySource.startsWith('estimated:')).toBe(estimated);
      expect(metrics.energyJ).toBeGreaterThan(0);
      expect(metrics.joulesPerOutput).toBeGreaterThan(0);
      if (!estimated) continue;
      expect(metrics.energyJRange.low).toBeLessThan(metrics.energyJ);
      expect(metrics.energyJRange.high).toBeGreaterThan(metrics.energyJ);
    }
  });

  it('sets the controller and rejects bad values in one line', async () => {
    expectOneLineError(await pareto('energy', 'controller', '--battery-shift', '2'), /--battery-shift must be a number from 0 to 1/);
    expectOneLineError(await pareto('energy', 'controller', '--on', '--off'), /cannot be combined/);
    expectOneLineError(await pareto('energy', 'sideways'), /Unknown energy action "sideways"/);
    const set = await pareto('energy', 'controller', '--on', '--latency-ms-per-token', '2', '--energy-j-per-image', 'off', '--json');
    expect(JSON.parse(set.stdout)).toMatchObject({ enabled: true, latencyMsPerToken: 2, energyJPerImage: null });
  });
});
