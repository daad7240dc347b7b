import { describe, expect, it } from 'vitest';
import type { GenerationConfig, JobEvent, RunMetrics, TextResult } from '../../../native/contract';
import { applyJobEvent, failJob, initialJobState, isJobActive, type JobState } from './jobState';

const metrics = (tokensPerSecond: number | null, generatedTokens = 0): RunMetrics => ({
  ttftMs: 12,
  msPerToken: 4,
  tokensPerSecond,
  totalMs: 50,
  promptTokens: 3,
  generatedTokens,
  peakRssMb: 80,
  energyJ: null,
  energySource: null,
  energyJRange: null,
  meanWatts: null,
  joulesPerOutput: null,
  precisionShare: null,
});

const config: GenerationConfig = {
  doSample: false,
  temperature: 1,
  topK: 0,
  topP: 1,
  seed: null,
  maxNewTokens: 16,
  ep: 'cpu',
  precision: 'int8',
  depth: 3,
  window: null,
  minP: null,
  repetitionPenalty: null,
  presencePenalty: null,
  frequencyPenalty: null,
  logitBias: null,
  stop: [],
  chatTemplate: null,
  operatingPoint: { lambda: 0.3, model: 'student-s', precision: 'int8', depth: 3, utility: 0.8, quality: 0.7, efficiency: 0.85, bitsPerByte: 1.52, msPerToken: 0.8, msPerTokenRange: null, calibrationNote: null },
};

const result: TextResult = {
  text: ' there was a cat.',
  promptIds: [1, 2, 3],
  generatedIds: [4, 5, 6],
  finishReason: 'eos',
  config,
  metrics: metrics(250, 3),
  logprobs: null,
};

const fold = (events: JobEvent[], start?: JobState) => events.reduce<JobState | undefined>((state, event) => applyJobEvent(state, event), start);

describe('applyJobEvent', () => {
  it('starts from nothing and follows a job through to its result', () => {
    const state = fold([
      { type: 'queued', jobId: 'j', model: 'm', position: 2 },
      { type: 'started', jobId: 'j', model: 'm', ep: 'cpu', fallbackReason: 'CUDA is not installed', promptTokens: 3, config },
      { type: 'tokens', jobId: 'j', ids: [4, 5], text: ' there was' },
      { type: 'metrics', jobId: 'j', metrics: metrics(200, 2) },
      { type: 'tokens', jobId: 'j', ids: [6], text: ' a cat.' },
    ]);
    expect(state).toMatchObject({ status: 'running', queuePosition: null, ep: 'cpu', fallbackReason: 'CUDA is not installed', config, text: ' there was a cat.', tokenCount: 3 });
    expect(state!.samples.map((sample) => sample.tokensPerSecond)).toEqual([200]);
    expect(isJobActive(state)).toBe(true);

    const done = applyJobEvent(state, { type: 'done', jobId: 'j', result });
    expect(done).toMatchObject({ status: 'done', text: result.text, tokenCount: 3, metrics: result.metrics, result });
    expect(done.samples.map((sample) => [sample.tokens, sample.tokensPerSecond])).toEqual([[2, 200], [3, 250]]);
    expect(isJobActive(done)).toBe(false);
  });

  it('takes the config from the result when the started event was missed', () => {
    const done = applyJobEvent(undefined, { type: 'done', jobId: 'j', result });
    expect(done.config?.operatingPoint?.model).toBe('student-s');
  });

  it('keeps the queue position while queued', () => {
    expect(fold([{ type: 'queued', jobId: 'j', model: 'm', position: 4 }])).toMatchObject({ status: 'queued', queuePosition: 4 });
  });

  it('records an error and keeps the text streamed so far', () => {
    const state = fold([
      { type: 'tokens', jobId: 'j', ids: [1], text: 'Once' },
      { type: 'error', jobId: 'j', message: 'model.onnx is truncated' },
    ]);
    expect(state).toMatchObject({ status: 'error', error: 'model.onnx is truncated', text: 'Once' });
  });

  it('ignores events that arrive after the job finished', () => {
    const done = applyJobEvent(initialJobState, { type: 'done', jobId: 'j', result });
    expect(applyJobEvent(done, { type: 'tokens', jobId: 'j', ids: [9], text: 'late' })).toBe(done);
    expect(applyJobEvent(done, { type: 'error', jobId: 'j', message: 'late' })).toBe(done);
  });
});

describe('failJob', () => {
  it('fails a running job but leaves a finished one alone', () => {
    const running = applyJobEvent(undefined, { type: 'started', jobId: 'j', model: 'm', ep: 'cpu', fallbackReason: null, promptTokens: 1, config });
    expect(failJob(running, 'The engine stopped.')).toMatchObject({ status: 'error', error: 'The engine stopped.' });
    const done = applyJobEvent(running, { type: 'done', jobId: 'j', result });
    expect(failJob(done, 'The engine stopped.')).toBe(done);
  });
});
