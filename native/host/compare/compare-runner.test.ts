import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareRequest, CompareResult, StudioEvent } from '../../contract';
import { readGenerationParameters } from '../../engine/image/generation-parameters';
import { decodePng, readPngText } from '../../engine/png/png';
import { sdFixture, temporaryDir, tinyStoriesOnnx } from '../../testing/fixtures';
import { followJob } from '../follow-job';
import { StudioHost } from '../studio-host';
import { COMPARE_GRID_KEY } from './compare-grid';

const BUNDLED = path.resolve(__dirname, '../../../models');
let host: StudioHost;
let image: string;

beforeAll(() => {
  image = sdFixture({ variants: true });
  host = new StudioHost({ dataDir: temporaryDir(), bundledModelsDir: BUNDLED, modelPaths: [tinyStoriesOnnx(), image] });
});
afterAll(() => host.dispose());

/** Runs a comparison to its end, with every event the host sent meanwhile. */
async function compare(request: CompareRequest, onEvent?: (event: StudioEvent, compareId: string | null) => void) {
  const events: StudioEvent[] = [];
  let compareId: string | null = null;
  const off = host.onEvent((event) => {
    events.push(event);
    onEvent?.(event, compareId);
  });
  try {
    const result = await followJob<CompareResult>(host, async () => {
      const ref = await host.invoke('startCompare', request);
      compareId = ref.jobId;
      return ref;
    }, { resultOf: (event) => (event.type === 'compare-done' ? event.result : undefined) });
    return { result, events };
  } finally {
    off();
  }
}

const fixture = { model: 'tinystories-656k-onnx' };

describe('comparing text modes', () => {
  it('runs each mode as its own job, one after another, with what ran, its cost, its declared quality and the best marked', async () => {
    const { result, events } = await compare({ kind: 'text', prompt: 'Once upon a time', seed: 3, maxNewTokens: 12, modes: [{ lambda: 0 }, { lambda: 1 }, fixture] });
    expect(result.panes.map((pane) => pane.status)).toEqual(['done', 'done', 'done']);
    const [efficient, best, handSet] = result.panes;
    expect(efficient!.point).toMatchObject({ lambda: 0, provider: 'cpu', model: expect.stringMatching(/^pareto-stories-/) });
    expect(best!.point).toMatchObject({ lambda: 1, model: expect.stringMatching(/^pareto-stories-/) });
    expect(handSet!.point).toMatchObject({ lambda: null, model: 'tinystories-656k-onnx', precision: 'fp32', depth: 2, window: null });
    // λ 1 picks the family's best declared quality; the fixture declares none.
    expect(best!.figures!.bitsPerByte).toBeLessThanOrEqual(efficient!.figures!.bitsPerByte!);
    expect(handSet!.figures!.bitsPerByte).toBeNull();
    for (const pane of result.panes) {
      expect(pane.figures).toMatchObject({ outputs: 12, ttftMs: expect.any(Number), msPerToken: expect.any(Number), tokensPerSecond: expect.any(Number), peakRssMb: expect.any(Number) });
      expect(pane.text!.config.seed).toBe(3);
    }
    expect(best!.best).toContain('bitsPerByte');
    const fastest = Math.min(...result.panes.map((pane) => pane.figures!.msPerToken!));
    expect(result.panes.find((pane) => pane.best.includes('msPerToken'))!.figures!.msPerToken).toBe(fastest);
    expect(result.gridPng).toBeNull();

    // Panes run in turn: each pane's job starts only after the one before it has finished.
    const compareId = result.compareId;
    const paneJobs = events.filter((event) => event.type === 'compare-pane' && event.jobId === compareId).map((event) => (event.type === 'compare-pane' ? event.paneJobId : null));
    expect(paneJobs).toEqual(result.panes.map((pane) => pane.jobId));
    const at = (type: string, jobId: string | null) => events.findIndex((event) => event.type === type && event.type !== 'host' && event.jobId === jobId);
    expect(at('done', paneJobs[0]!)).toBeLessThan(at('started', paneJobs[1]!));
    expect(at('done', paneJobs[1]!)).toBeLessThan(at('started', paneJobs[2]!));
    expect(events.find((event) => event.type === 'compare-started')).toMatchObject({ jobId: compareId, kind: 'text', seed: 3, modes: [{ lambda: 0 }, { lambda: 1 }, fixture] });
  });

  it('gives the same text per pane for the same seed, and draws one seed for every pane when none is given', async () => {
    const modes = [fixture, { ...fixture, precision: 'fp32', window: 8 }];
    const first = await compare({ kind: 'text', prompt: 'The dog', seed: 11, maxNewTokens: 16, modes });
    expect(first.result.panes.map((pane) => pane.point!.window)).toEqual([null, { sinks: 4, window: 8 }]);
    const again = await compare({ kind: 'text', prompt: 'The dog', seed: 11, maxNewTokens: 16, modes });
    expect(again.result.panes.map((pane) => pane.text!.text)).toEqual(first.result.panes.map((pane) => pane.text!.text));
    const drawn = await compare({ kind: 'text', prompt: 'The dog', maxNewTokens: 4, modes });
    expect(drawn.result.panes.map((pane) => pane.text!.config.seed)).toEqual([drawn.result.seed, drawn.result.seed]);
  });

  it('refuses bad comparisons with a message that names the problem, before any pane runs', async () => {
    const base = { kind: 'text' as const, prompt: 'x', maxNewTokens: 2 };
    const cases: [unknown[], RegExp][] = [
      [[], /startCompare: modes: a comparison needs 2 to 4 modes/],
      [[{ lambda: 0 }], /needs 2 to 4 modes/],
      [Array.from({ length: 9 }, (_, i) => ({ lambda: i / 8 })), /startCompare: modes: a comparison takes at most 4 modes/],
      [[{ lambda: 0 }, { model: 'no-such-model' }], /^Mode 2 \(no-such-model\): No model "no-such-model"\. Known models: .*tinystories-656k-onnx/],
      [[{ lambda: 0 }, { ...fixture, precision: 'int8' }], /^Mode 2 .*has no int8 variant; it offers fp32/],
      [[fixture, { ...fixture, steps: 4 }], /^Mode 2 .*steps are for image comparisons/],
      [[fixture, { lambda: 0.5, model: 'tinystories-656k-onnx' }], /either a λ value or a model/],
      [[fixture, { lambda: 0.5, precision: 'int8' }], /need a model; with λ the policy chooses them/],
      [[fixture, { lambda: 2 }], /modes\.1\.lambda: Too big/],
    ];
    const seen: string[] = [];
    const off = host.onEvent((event) => seen.push(event.type));
    for (const [modes, message] of cases) await expect(host.call('startCompare', { ...base, modes })).rejects.toThrowError(message);
    off();
    expect(seen).toEqual([]);
  });

  it('stops the running pane and the rest when the comparison is cancelled', async () => {
    const long = { kind: 'text' as const, prompt: '', seed: 1, maxNewTokens: 400, modes: [fixture, fixture, fixture] };
    let cancelled = false;
    const { result } = await compare(long, (event, compareId) => {
      if (event.type === 'tokens' && compareId && !cancelled) {
        cancelled = true;
        void host.invoke('cancelJob', { jobId: compareId });
      }
    });
    expect(result.panes.map((pane) => pane.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(result.panes[0]!.text!.finishReason).toBe('cancelled');
    expect(result.panes[0]!.text!.generatedIds.length).toBeLessThan(400);
    expect(result.panes.slice(1).map((pane) => [pane.jobId, pane.error])).toEqual([[null, 'Not run: the comparison was stopped.'], [null, 'Not run: the comparison was stopped.']]);
    expect(result.panes.every((pane) => pane.best.length === 0)).toBe(true);
    expect(await host.invoke('cancelJob', { jobId: result.compareId })).toEqual({ cancelled: false });
  });
});

describe('comparing image modes', () => {
  it('makes one image per point with the same seed and a grid PNG with the parameters in its text chunk', async () => {
    const modes = [{ model: image, precision: 'fp32', steps: 2 }, { model: image, precision: 'int8', steps: 2 }];
    const { result } = await compare({ kind: 'image', prompt: 'a red circle', seed: 5, modes });
    expect(result.panes.map((pane) => [pane.status, pane.point?.precision, pane.point?.steps, pane.image?.parameters.seed])).toEqual([['done', 'fp32', 2, 5], ['done', 'int8', 2, 5]]);
    for (const pane of result.panes) expect(pane.figures).toMatchObject({ sPerImage: expect.any(Number), msPerStep: expect.any(Number), outputs: 1, frechetDistance: null, ttftMs: null });
    expect(result.panes.filter((pane) => pane.best.includes('sPerImage'))).toHaveLength(1);

    const grid = Buffer.from(result.gridPng!, 'base64');
    const pixels = decodePng(grid);
    expect([pixels.width, pixels.height]).toEqual([64 * 2 + 4, 64]);
    const { parameters, a1111 } = readGenerationParameters(grid);
    expect(parameters).toEqual(result.panes[0]!.image!.parameters);
    expect(a1111).toMatchObject({ prompt: 'a red circle', seed: 5, steps: 2 });
    const text = readPngText(grid);
    expect(text.parameters).toMatch(/Compare: ".* · fp32 · 2 steps \| .* · int8 · 2 steps"$/);
    expect(JSON.parse(text[COMPARE_GRID_KEY]!).map((pane: { parameters: { precision: string } }) => pane.parameters.precision)).toEqual(['fp32', 'int8']);
  });

  it('refuses text knobs on image points', async () => {
    await expect(host.call('startCompare', { kind: 'image', prompt: 'x', modes: [{ model: image }, { model: image, depth: 2 }] })).rejects.toThrowError(/^Mode 2 .*depth and window are for text comparisons/);
  });
});
