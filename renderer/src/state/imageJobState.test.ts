import { describe, expect, it } from 'vitest';
import { StudioEventSchema, type ImageJobEvent, type ImageParameters, type ImageResult } from '../../../native/contract';
import { applyImageJobEvent, failImageJob, imageProgressFraction, initialImageJobState, isImageJobActive, liveMsPerStep, requestImageStop, routeJobEvent, seedImageJob, type ImageJobState } from './imageJobState';

const parameters: ImageParameters = {
  model: 'sd-tiny',
  prompt: 'a red circle',
  negativePrompt: '',
  steps: 4,
  guidance: 7.5,
  seed: 1,
  scheduler: 'ddim',
  precision: 'fp32',
  dynamicPrecision: null,
  width: 64,
  height: 64,
};

const result: ImageResult = {
  png: 'iVBORw0KGgo=',
  width: 64,
  height: 64,
  parametersText: 'a red circle\nSteps: 4, Sampler: DDIM, CFG scale: 7.5, Seed: 1, Size: 64x64',
  parameters,
  ep: 'cpu',
  cfg: 'batched',
  metrics: { msPerStep: 3.5, sPerImage: 0.05, textEncoderMs: 4, decodeMs: 6, steps: 4, peakRssMb: 120, energyJ: null, energySource: null, energyJRange: null, meanWatts: null, joulesPerOutput: null, precisionSteps: { fp32: 4 } },
};

const operatingPoint = { lambda: 0, model: 'emoji-student', precision: 'int8', steps: 4, utility: 1, quality: 0.7, efficiency: 1, frechetDistance: 10.8, faithfulness: 0.5, sPerImage: 0.05, sPerImageRange: null, calibrationNote: null };

const progress = (step: number, preview: string | null = null): ImageJobEvent => ({ type: 'image-progress', jobId: 'j', step, steps: 4, precision: 'fp32', preview });

function fold(events: ImageJobEvent[], times: number[] = []): ImageJobState {
  return events.reduce<ImageJobState>((state, event, index) => applyImageJobEvent(state, event, times[index] ?? 0), initialImageJobState);
}

describe('applyImageJobEvent', () => {
  it('follows a run from queued through progress and previews to its result', () => {
    const queued = fold([{ type: 'queued', jobId: 'j', model: 'sd-tiny', position: 2 }]);
    expect(queued).toMatchObject({ status: 'queued', queuePosition: 2 });
    expect(isImageJobActive(queued)).toBe(true);

    const events: ImageJobEvent[] = [
      { type: 'queued', jobId: 'j', model: 'sd-tiny', position: 0 },
      { type: 'image-started', jobId: 'j', model: 'sd-tiny', ep: 'cpu', fallbackReason: null, parameters, operatingPoint: null },
      progress(1),
      progress(2, 'data:image/png;base64,AAA'),
      progress(3),
    ];
    const running = fold(events, [0, 10, 100, 140, 180]);
    expect(running).toMatchObject({ status: 'running', queuePosition: null, step: 3, steps: 4, precision: 'fp32', parameters, ep: 'cpu' });
    // A step without a preview keeps the latest one on screen.
    expect(running.previews).toEqual(['data:image/png;base64,AAA']);
    expect(imageProgressFraction(running)).toBe(0.75);
    // Timed from the first step seen, so prompt encoding does not count as a step.
    expect(liveMsPerStep(running)).toBe(40);
    expect(running.stepMs).toEqual([[2, 40], [3, 40]]);
    expect(running.operatingPoint).toBeNull();

    const done = applyImageJobEvent(running, { type: 'image-done', jobId: 'j', images: [result] }, 200);
    expect(done).toMatchObject({ status: 'done', step: 4, steps: 4, result, metrics: result.metrics });
    expect(isImageJobActive(done)).toBe(false);
    expect(imageProgressFraction(done)).toBe(1);
    expect(liveMsPerStep(done)).toBe(3.5);
  });

  it('follows each image of a batch: its previews, and the share of all their steps done', () => {
    const started: ImageJobEvent = { type: 'image-started', jobId: 'j', model: 'sd-tiny', ep: 'cpu', fallbackReason: null, parameters, seeds: [1, 2], operatingPoint: null };
    const step = (image: number, at: number, preview: string | null = null): ImageJobEvent => ({ type: 'image-progress', jobId: 'j', image, step: at, steps: 4, precision: 'fp32', preview });
    const running = fold([started, step(0, 1, 'data:a'), step(1, 1), step(0, 2), step(1, 2, 'data:b')], [0, 10, 10, 50, 50]);
    expect(running).toMatchObject({ seeds: [1, 2], imageSteps: [2, 2], previews: ['data:a', 'data:b'] });
    expect(imageProgressFraction(running)).toBe(0.5);
    expect(liveMsPerStep(running)).toBe(40);
    const second = { ...result, parameters: { ...result.parameters, seed: 2 } };
    const done = applyImageJobEvent(running, { type: 'image-done', jobId: 'j', images: [result, second] });
    expect(done.images.map((image) => image.parameters.seed)).toEqual([1, 2]);
    expect(done.result).toBe(result);
  });

  it('keeps what λ selected from the start of the run to its end', () => {
    const started: ImageJobEvent = { type: 'image-started', jobId: 'j', model: 'emoji-student', ep: 'cpu', fallbackReason: null, parameters, operatingPoint };
    const running = fold([started, progress(1)]);
    expect(running.operatingPoint).toEqual(operatingPoint);
    expect(applyImageJobEvent(running, { type: 'image-done', jobId: 'j', images: [result] }).operatingPoint).toEqual(operatingPoint);
  });

  it('knows no speed before two steps', () => {
    expect(liveMsPerStep(undefined)).toBeNull();
    expect(liveMsPerStep(fold([progress(1)], [50]))).toBeNull();
    expect(imageProgressFraction(undefined)).toBe(0);
  });

  it('reads an error after a stop request as stopped, and any other error as an error', () => {
    const running = fold([progress(1), progress(2)]);
    const cancelled = { type: 'error', jobId: 'j', message: 'Cancelled after 2 of 4 steps.' } as const;
    expect(applyImageJobEvent(requestImageStop(running), cancelled)).toMatchObject({ status: 'stopped', error: 'Cancelled after 2 of 4 steps.', step: 2 });
    expect(applyImageJobEvent(running, { type: 'error', jobId: 'j', message: 'Generation failed: out of memory' })).toMatchObject({ status: 'error', error: 'Generation failed: out of memory' });
  });

  it('ignores events after the job ended, and a stop or failure that comes too late', () => {
    const done = applyImageJobEvent(fold([progress(1)]), { type: 'image-done', jobId: 'j', images: [result] });
    expect(applyImageJobEvent(done, progress(2))).toBe(done);
    expect(applyImageJobEvent(done, { type: 'error', jobId: 'j', message: 'late' })).toBe(done);
    expect(requestImageStop(done)).toBe(done);
    expect(failImageJob(done, 'engine gone')).toBe(done);
    expect(failImageJob(fold([progress(1)]), 'engine gone')).toMatchObject({ status: 'error', error: 'engine gone' });
  });
});

describe('routeJobEvent', () => {
  it('sends image events to the image store, and shared ones where the job is known', () => {
    expect(routeJobEvent(progress(1), false).store).toBe('image');
    expect(routeJobEvent({ type: 'image-done', jobId: 'j', images: [result] }, false).store).toBe('image');
    const queued = { type: 'queued', jobId: 'j', model: 'm', position: 0 } as const;
    expect(routeJobEvent(queued, true).store).toBe('image');
    expect(routeJobEvent(queued, false).store).toBe('text');
    expect(routeJobEvent({ type: 'error', jobId: 'j', message: 'x' }, true).store).toBe('image');
    expect(routeJobEvent({ type: 'tokens', jobId: 'j', ids: [1], text: 'a' }, true).store).toBe('text');
  });

  it('keeps what arrived before the start reply, and takes the queue position of a misfiled queued', () => {
    const started = fold([progress(1)]);
    expect(seedImageJob(started, 3)).toBe(started);
    expect(seedImageJob(undefined, 3)).toEqual({ ...initialImageJobState, queuePosition: 3 });
    expect(seedImageJob(undefined, null)).toEqual(initialImageJobState);
  });

  it('the contract carries every image event on the studio event stream', () => {
    for (const event of [progress(1, 'data:image/png;base64,AAA'), { type: 'image-done', jobId: 'j', images: [result] }, { type: 'image-started', jobId: 'j', model: 'm', ep: 'cpu', fallbackReason: null, parameters, operatingPoint: null }, { type: 'image-started', jobId: 'j', model: 'm', ep: 'cpu', fallbackReason: null, parameters, operatingPoint }]) {
      expect(StudioEventSchema.parse(event)).toEqual(event);
    }
    expect(StudioEventSchema.safeParse({ type: 'image-progress', jobId: 'j', step: 'one' }).success).toBe(false);
  });
});
