import { afterAll, describe, expect, it } from 'vitest';
import type { GenerationConfig } from '../contract';
import { defaultModelsDir } from '../host/paths';
import { StudioHost } from '../host/studio-host';
import { runTextJob } from '../cli/run-text-job';
import { temporaryDir } from '../testing/fixtures';

/**
 * The bundled Pareto Stories family, end to end: calibrate it on this machine, then run it many
 * times at three slider positions with one prompt and seed. Whatever the machine's load does to
 * each run's speed, each position runs one point every time, and the three are ordered by quality.
 */
describe('λ on the bundled text family', () => {
  const host = new StudioHost({ dataDir: temporaryDir(), bundledModelsDir: defaultModelsDir() });
  afterAll(() => host.dispose());

  it('after one calibration, 10 runs at each of λ 0, 0.5 and 1 choose one point per λ, ordered by quality', { timeout: 240_000 }, async () => {
    const [calibrated] = await host.invoke('calibrate', { kind: 'text', repeats: 2, tokens: 8 });
    expect(calibrated).toMatchObject({ kind: 'text', family: 'pareto-stories', points: 24, repeats: 2 });

    const chosen = new Map<number, Set<string>>();
    const bitsPerByte = new Map<number, number>();
    for (const lambda of [0, 0.5, 1]) {
      for (let run = 0; run < 10; run++) {
        let point: GenerationConfig['operatingPoint'] = null;
        await runTextJob(host, { prompt: 'Once upon a time', seed: 7, maxNewTokens: 6, lambda }, { onStarted: (config) => (point = config.operatingPoint) });
        const { model, precision, depth, bitsPerByte: declared } = point!;
        chosen.set(lambda, (chosen.get(lambda) ?? new Set()).add(`${model}:${precision}:${depth}`));
        bitsPerByte.set(lambda, declared);
      }
    }
    for (const lambda of [0, 0.5, 1]) expect([...chosen.get(lambda)!]).toHaveLength(1);
    // Lower bits per byte is better quality.
    expect(bitsPerByte.get(0)!).toBeGreaterThanOrEqual(bitsPerByte.get(0.5)!);
    expect(bitsPerByte.get(0.5)!).toBeGreaterThanOrEqual(bitsPerByte.get(1)!);
    expect(bitsPerByte.get(0)!).toBeGreaterThan(bitsPerByte.get(1)!);
  });
});
