import type { EnergyEvent, ExecutionProvider, GenerationConfig, JobEvent, RunMetrics, TextResult } from '../../../native/contract';
import { withEnergyReading, withSample, type EnergyReading, type RunSample } from './runSamples';

export type JobStatus = 'queued' | 'running' | 'done' | 'error';

/** What the UI knows about one generation job, folded from its stream of events. */
export interface JobState {
  status: JobStatus;
  queuePosition: number | null;
  ep: ExecutionProvider | null;
  fallbackReason: string | null;
  /** The model that runs, once the job started. */
  model: string | null;
  /** The settings in force once the job started, including the operating point λ selected. */
  config: GenerationConfig | null;
  text: string;
  tokenCount: number;
  metrics: RunMetrics | null;
  /** The meter's readings over the whole run, for the profiler's charts. */
  samples: RunSample[];
  /** The latest live energy reading: cumulative joules since the job started, and watts now. */
  energy: EnergyEvent | null;
  /** Every live energy reading of the run, for the profiler's power and energy chart. */
  energyReadings: EnergyReading[];
  result: TextResult | null;
  error: string | null;
}

export const initialJobState: JobState = {
  status: 'queued',
  queuePosition: null,
  ep: null,
  fallbackReason: null,
  model: null,
  config: null,
  text: '',
  tokenCount: 0,
  metrics: null,
  samples: [],
  energy: null,
  energyReadings: [],
  result: null,
  error: null,
};

export function isJobActive(job: JobState | undefined): boolean {
  return job?.status === 'queued' || job?.status === 'running';
}

export function applyJobEvent(state: JobState = initialJobState, event: JobEvent): JobState {
  if (state.status === 'done' || state.status === 'error') return state;
  switch (event.type) {
    case 'queued':
      return { ...state, status: 'queued', queuePosition: event.position };
    case 'started':
      return { ...state, status: 'running', queuePosition: null, ep: event.ep, fallbackReason: event.fallbackReason, model: event.model, config: event.config };
    case 'tokens':
      return { ...state, status: 'running', text: state.text + event.text, tokenCount: state.tokenCount + event.ids.length };
    case 'energy':
      return { ...state, energy: event, energyReadings: withEnergyReading(state.energyReadings, event) };
    case 'metrics':
      return { ...state, metrics: event.metrics, samples: withSample(state.samples, event.metrics) };
    case 'done': {
      const { result } = event;
      return {
        ...state,
        status: 'done',
        // The final decode of all generated ids is authoritative over the streamed pieces.
        text: result.text,
        tokenCount: result.generatedIds.length,
        ep: state.ep ?? result.config.ep,
        config: result.config,
        metrics: result.metrics,
        samples: withSample(state.samples, result.metrics),
        result,
      };
    }
    case 'error':
      return { ...state, status: 'error', error: event.message };
  }
}

/** A job that can no longer finish, e.g. because the engine host crashed under it. */
export function failJob(state: JobState, message: string): JobState {
  return state.status === 'done' || state.status === 'error' ? state : { ...state, status: 'error', error: message };
}
