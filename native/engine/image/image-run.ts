// What one image run holds once prepared, shared by the generator and the batch denoiser.
import type { ExecutionProvider, ImageParameters, ImageResult } from '../../contract';
import type { Lease } from '../onnx/session-pool';
import type { GraphInput, GraphSession } from './graph-session';
import type { Scheduler } from './schedulers';

export interface ImageStepInfo {
  /** Which image of the batch reached the step. */
  image: number;
  step: number;
  steps: number;
  precision: string;
  preview: string | null;
}

export interface ImageGenerationHooks {
  signal?: AbortSignal;
  onStarted?(info: { ep: ExecutionProvider; fallbackReason: string | null }): void;
  onStep?(info: ImageStepInfo): void;
}

/** What the UNet graph declares: the engine detects, it does not guess. */
export interface UnetLayout {
  sample: GraphInput;
  timestep: GraphInput;
  states: GraphInput;
  output: string;
  channels: number;
  /** Latent cells per side when the graph fixes them. */
  fixedHeight: number | null;
  fixedWidth: number | null;
  /** False when the graph's batch dimension is fixed to 1: guidance then runs two passes. */
  dynamicBatch: boolean;
  /** How the timestep is fed: a scalar, one value broadcast over the batch, or one per sample. */
  timestepShape: 'scalar' | 'one' | 'batch';
}

export interface PreparedImageRun {
  parameters: ImageParameters;
  modelName: string;
  textEncoder: GraphSession;
  unetFull: GraphSession;
  unetCheap: GraphSession | null;
  fullPrecision: string;
  cheapPrecision: string | null;
  cheapSteps: number;
  vae: GraphSession | null;
  layout: UnetLayout;
  /** The cheap UNet's own layout: a variant may declare other input types (fp16 exports take float16). */
  cheapLayout: UnetLayout | null;
  cfg: ImageResult['cfg'];
  latentHeight: number;
  latentWidth: number;
  tokenLength: number;
  previewEvery: number;
  /** One per image of the batch, in order; parameters.seed is the first. */
  seeds: number[];
  schedulers: Scheduler[];
  leases: Lease<GraphSession>[];
}
