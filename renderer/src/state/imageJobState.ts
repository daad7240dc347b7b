import type { BudgetDecision, CompareEvent, EnergyEvent, ExecutionProvider, HostEvent, ImageJobEvent, ImageMetrics, ImageOperatingPoint, ImageParameters, ImageResult, JobEvent, ReportDoneEvent, ReportProgressEvent, StudioEvent } from '../../../native/contract';

/** `stopped`: the job ended with an error after the user asked it to stop. */
export type ImageJobStatus = 'queued' | 'running' | 'done' | 'stopped' | 'error';

/** What the UI knows about one image job, folded from its stream of events. */
export interface ImageJobState {
  status: ImageJobStatus;
  queuePosition: number | null;
  ep: ExecutionProvider | null;
  fallbackReason: string | null;
  /** The parameters in force once the job started (the seed the engine drew included). */
  parameters: ImageParameters | null;
  /** The seed of each image of the batch, in order; one for a single image. */
  seeds: number[];
  /** What λ selected (model, precision, steps and their predicted quality and cost); null when the model ran as set. */
  operatingPoint: ImageOperatingPoint | null;
  /** What the energy-aware controller changed before the run, when it is on. */
  budget: BudgetDecision | null;
  /** The latest live energy reading. */
  energy: EnergyEvent | null;
  /** Steps done so far by the latest image to step, and the run's total; 0 of null until the first step. */
  step: number;
  steps: number | null;
  /** Steps done by each image of the batch. */
  imageSteps: number[];
  /** The UNet precision of the latest step (dynamic precision switches it mid-run). */
  precision: string | null;
  /** The latest preview of each image of the batch (PNG data URLs), null until its first. */
  previews: (string | null)[];
  /** When the first image's first and latest step arrived (ms), for a live ms/step before the measured one. */
  firstStep: { step: number; at: number } | null;
  lastStepAt: number | null;
  /** [step, ms it took] for each step after the first seen, for the profiler's chart. */
  stepMs: [number, number][];
  /** Every image of the batch once done, in seed order. */
  images: ImageResult[];
  /** The first image: its metrics are the batch's. */
  result: ImageResult | null;
  metrics: ImageMetrics | null;
  /** Set when the user asked to stop, so the cancellation error reads as a stop. */
  stopRequested: boolean;
  error: string | null;
}

export const initialImageJobState: ImageJobState = {
  status: 'queued',
  queuePosition: null,
  ep: null,
  fallbackReason: null,
  parameters: null,
  seeds: [],
  operatingPoint: null,
  budget: null,
  energy: null,
  step: 0,
  steps: null,
  imageSteps: [],
  precision: null,
  previews: [],
  firstStep: null,
  lastStepAt: null,
  stepMs: [],
  images: [],
  result: null,
  metrics: null,
  stopRequested: false,
  error: null,
};

export function isImageJobActive(job: ImageJobState | undefined): boolean {
  return job?.status === 'queued' || job?.status === 'running';
}

function ended(state: ImageJobState): boolean {
  return state.status === 'done' || state.status === 'stopped' || state.status === 'error';
}

/** Folds one event into the job's state; `now` (ms) times the steps for the live ms/step. */
export function applyImageJobEvent(state: ImageJobState = initialImageJobState, event: ImageJobEvent, now: number = Date.now()): ImageJobState {
  if (ended(state)) return state;
  switch (event.type) {
    case 'queued':
      return { ...state, status: 'queued', queuePosition: event.position };
    case 'image-started':
      return {
        ...state,
        status: 'running',
        queuePosition: null,
        ep: event.ep,
        fallbackReason: event.fallbackReason,
        parameters: event.parameters,
        seeds: event.seeds ?? [event.parameters.seed],
        operatingPoint: event.operatingPoint,
        budget: event.budget ?? null,
        steps: event.parameters.steps,
      };
    case 'energy':
      return { ...state, energy: event };
    case 'image-progress':
      return { ...state, status: 'running', steps: event.steps, precision: event.precision, ...stepOf(state, event.image ?? 0, event.step, event.preview, now) };
    case 'image-done': {
      const [first] = event.images;
      return { ...state, status: 'done', parameters: first!.parameters, ep: first!.ep, step: first!.metrics.steps, steps: first!.metrics.steps, images: event.images, result: first!, metrics: first!.metrics };
    }
    case 'error':
      return { ...state, status: state.stopRequested ? 'stopped' : 'error', error: event.message };
  }
}

/** One image's step: its count and preview; the first image's steps time the live ms/step (a batch's images step together). */
function stepOf(state: ImageJobState, image: number, step: number, preview: string | null, now: number): Partial<ImageJobState> {
  const imageSteps = [...state.imageSteps];
  imageSteps[image] = step;
  const previews = [...state.previews];
  // Steps without a preview keep showing the latest one.
  previews[image] = preview ?? previews[image] ?? null;
  if (image !== 0) return { step, imageSteps, previews };
  return {
    step,
    imageSteps,
    previews,
    firstStep: state.firstStep ?? { step, at: now },
    lastStepAt: now,
    stepMs: state.lastStepAt === null || step <= (state.imageSteps[0] ?? 0) ? state.stepMs : [...state.stepMs, [step, (now - state.lastStepAt) / (step - state.imageSteps[0]!)]],
  };
}

/** Marks that the user asked the job to stop; its cancellation then ends it as `stopped`. */
export function requestImageStop(state: ImageJobState): ImageJobState {
  return ended(state) ? state : { ...state, stopRequested: true };
}

/** A job that can no longer finish, e.g. because the engine host crashed under it. */
export function failImageJob(state: ImageJobState, message: string): ImageJobState {
  return ended(state) ? state : { ...state, status: 'error', error: message };
}

/** Milliseconds per step: measured once done, else between the first and latest step seen; null before two steps. */
export function liveMsPerStep(state: ImageJobState | undefined): number | null {
  if (!state) return null;
  if (state.metrics) return state.metrics.msPerStep;
  const step = state.imageSteps[0] ?? 0;
  if (!state.firstStep || state.lastStepAt === null || step <= state.firstStep.step) return null;
  return (state.lastStepAt - state.firstStep.at) / (step - state.firstStep.step);
}

/** The share of the run done, 0..1: every image's steps over the batch's. */
export function imageProgressFraction(state: ImageJobState | undefined): number {
  if (!state) return 0;
  if (state.status === 'done') return 1;
  const done = state.imageSteps.reduce((sum, steps) => sum + (steps ?? 0), 0);
  return state.steps ? Math.min(1, done / (state.steps * Math.max(1, state.seeds.length))) : 0;
}

/** A job event and the store it belongs to. */
export type RoutedJobEvent = { store: 'image'; event: ImageJobEvent } | { store: 'text'; event: JobEvent };

/**
 * Which job store an event belongs to. Image jobs have their own event types; `queued`, `energy` and
 * `error` are shared, so they go to the image store when it already holds the job.
 */
export function routeJobEvent(event: Exclude<StudioEvent, HostEvent | CompareEvent | ReportProgressEvent | ReportDoneEvent | { type: 'calibration' }>, knownImageJob: boolean): RoutedJobEvent {
  switch (event.type) {
    case 'image-started':
    case 'image-progress':
    case 'image-done':
      return { store: 'image', event };
    case 'queued':
    case 'energy':
    case 'error':
      return knownImageJob ? { store: 'image', event } : { store: 'text', event };
    default:
      return { store: 'text', event };
  }
}

/**
 * The image job's first state once its id is known: events that arrived before the reply are kept;
 * a `queued` that was filed as a text job (its id was not known yet) gives the queue position.
 */
export function seedImageJob(current: ImageJobState | undefined, misfiledQueuePosition: number | null): ImageJobState {
  return current ?? { ...initialImageJobState, queuePosition: misfiledQueuePosition };
}
