import { z } from 'zod';
import { ExecutionProviderSchema, LambdaSchema } from './schemas';

/** A predicted or measured cost with its spread: ms/token for text, s/image for images. */
export const CostRangeSchema = z.object({ median: z.number(), low: z.number(), high: z.number() });
export type CostRange = z.infer<typeof CostRangeSchema>;

/** What λ would run, asked before any generation (the live preview and the Pareto scatter). */
export const PlanPreviewRequestSchema = z.strictObject({
  /** Which of the studio's families: the bundled text family or the bundled image family. */
  family: z.enum(['text', 'image']),
  lambda: LambdaSchema,
  /** A member of another family: λ chooses within that model's family instead. */
  model: z.string().min(1).optional(),
  /** Knobs fixed by hand: λ chooses among the points that match them. */
  precision: z.string().min(1).optional(),
  depth: z.number().int().min(1).max(1024).optional(),
  steps: z.number().int().min(1).max(1000).optional(),
  ep: ExecutionProviderSchema.default('cpu'),
});
export type PlanPreviewRequest = z.input<typeof PlanPreviewRequestSchema>;
export type ResolvedPlanPreviewRequest = z.output<typeof PlanPreviewRequestSchema>;

export const PlanPointSchema = z.object({
  /** MODEL:PRECISION:DEPTH for text, MODEL:PRECISION:STEPS for images. */
  id: z.string(),
  model: z.string(),
  precision: z.string(),
  depth: z.number().int().nullable(),
  steps: z.number().int().nullable(),
  /** Q/Qmax over the points offered, with tied precision variants at their tie's best. */
  quality: z.number(),
  /** The quality the package declares: held-out bits per byte (text) or Fréchet distance (images). */
  bitsPerByte: z.number().nullable(),
  frechetDistance: z.number().nullable(),
  /** Predicted on this device; null until the family is calibrated here. */
  cost: CostRangeSchema.nullable(),
  utility: z.number().nullable(),
  efficiency: z.number().nullable(),
  onFront: z.boolean(),
  chosen: z.boolean(),
  /** Where on the slider λ picks this point; null when it never does. */
  lambdaRange: z.object({ from: z.number(), to: z.number() }).nullable(),
});
export type PlanPoint = z.infer<typeof PlanPointSchema>;

export const CalibrationStatusSchema = z.object({
  /** calibrated: costs are this device's; missing: never measured here; stale: measured, but no longer valid (the message says why). */
  state: z.enum(['calibrated', 'missing', 'stale']),
  calibratedAt: z.string().nullable(),
  device: z.string(),
  /** Runs that refreshed the absolute level since the batch. */
  runs: z.number().int(),
  /** Why the family must be measured (again), or what the last recalibration changed. */
  message: z.string().nullable(),
  /** What the last recalibration changed by more than the noise. */
  changes: z.array(z.string()),
});
export type CalibrationStatus = z.infer<typeof CalibrationStatusSchema>;

export const PlanPreviewSchema = z.object({
  kind: z.enum(['text', 'image']),
  /** The family's name (pareto.json). */
  family: z.string(),
  lambda: z.number(),
  unit: z.enum(['ms/token', 's/image']),
  points: z.array(PlanPointSchema),
  /** The id of the point λ runs, null until the family is calibrated. */
  chosen: z.string().nullable(),
  calibration: CalibrationStatusSchema,
  /** A remark on the family itself, e.g. that it has a single point and λ has nothing to trade. */
  note: z.string().nullable(),
});
export type PlanPreview = z.infer<typeof PlanPreviewSchema>;

export const CalibrateRequestSchema = z.strictObject({
  /** A family name (pareto.json); all bundled families when absent. */
  family: z.string().min(1).optional(),
  kind: z.enum(['text', 'image']).optional(),
  ep: ExecutionProviderSchema.default('cpu'),
  /** Interleaved rounds after the warm-up, for the median and spread. */
  repeats: z.number().int().min(1).max(50).default(5),
  /** New tokens per text measurement. */
  tokens: z.number().int().min(2).max(1024).default(48),
});
export type CalibrateRequest = z.input<typeof CalibrateRequestSchema>;
export type ResolvedCalibrateRequest = z.output<typeof CalibrateRequestSchema>;

export const CalibrationResultSchema = z.object({
  kind: z.enum(['text', 'image']),
  family: z.string(),
  ep: ExecutionProviderSchema,
  points: z.number().int(),
  repeats: z.number().int(),
  durationMs: z.number(),
  /** Why it was measured (again), when it was not on request. */
  reason: z.string().nullable(),
  changes: z.array(z.string()),
});
export type CalibrationResult = z.infer<typeof CalibrationResultSchema>;
