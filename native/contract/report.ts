import { z } from 'zod';
import { ExecutionProviderSchema } from './providers';

/**
 * The trade-off report (`pareto report`, the Report view): the paper's Table 1 and figures, measured
 * on this device for every family. One data model, so the CLI, the view and the files agree.
 */

export const PAPER = {
  title: 'Lightweight Architectures for GenAI: A Trade-off Between Efficiency and Performance',
  citation: 'Sivalingam, IJSRMT 4(10), 2025',
  /** Only formulas of the paper are known to the studio (SPEC); its measured values are not. */
  notStated: 'not stated',
} as const;

/** The λ values Fig 3 draws the utility curve for. */
export const REPORT_LAMBDAS = [0.25, 0.5, 0.75] as const;

/** The formulas the report's figures are computed by, written into every report. */
export const REPORT_FORMULAS = {
  quality: 'Q(C) = 2^(−bits/byte) for text, 1 / Fréchet distance for images; Q/Qmax over the family',
  efficiency: 'E(C) = (cheapest median cost in the family) / (median cost of C), in (0, 1]',
  utility: 'U(C) = λ·Q(C)/Qmax + (1−λ)·E(C); C* = argmax U over the Pareto-optimal points',
  paretoScore: 'Pareto score = U(C) at λ = 0.5',
  complexity: 'complexity = parameters a depth runs (text: declared parameters × full-precision file at that depth / at full depth); parameters × steps (images)',
  compression: 'compression ratio = bytes of the teacher’s full point / bytes of C',
  deployability: 'D(C) = F(C) · A(C) · S(C): F = 1 if its peak memory fits in this device’s memory, else 0; A = 1 if its execution provider is available here, else 0; S = 1 − ½·log(bytes/smallest)/log(largest/smallest) over the family’s files (1 for the smallest, ½ for the largest)',
  index: 'ATEI-style index I(C) = (Q(C)/Qmax · E(C) · D(C))^(1/3), the geometric mean: a point that cannot deploy scores 0',
} as const;

export const ReportRequestSchema = z.strictObject({
  /** Family names (pareto.json); every installed family when absent. */
  families: z.array(z.string().min(1)).min(1).max(32).optional(),
  /** Fewer rounds and tokens: a first look in about a minute, with a wider spread. */
  quick: z.boolean().default(false),
  /** Where the files go; a new folder under the data folder's reports/ when absent. */
  out: z.string().min(1).optional(),
  ep: ExecutionProviderSchema.default('cpu'),
});
export type ReportRequest = z.input<typeof ReportRequestSchema>;
export type ResolvedReportRequest = z.output<typeof ReportRequestSchema>;

/** A measured quantity over the interleaved repeats: median and spread (min–max). */
export const SpreadSchema = z.object({ median: z.number(), low: z.number(), high: z.number() });
export type Spread = z.infer<typeof SpreadSchema>;

export const ReportEnergySchema = z.object({
  /** Joules per output (token or image), over the repeats; null where no reader gave a figure. */
  perOutput: SpreadSchema.nullable(),
  source: z.string().nullable(),
  estimated: z.boolean(),
  /** For an estimate: the joules per output the median run may really have used. */
  estimateRange: z.object({ low: z.number(), high: z.number() }).nullable(),
});
export type ReportEnergy = z.infer<typeof ReportEnergySchema>;

export const ReportQualitySchema = z.object({
  /** bits/byte on held-out text (lower is better) or Fréchet distance (lower is better). */
  value: z.number(),
  /** Text: repetition score (lower is better); images: prompt faithfulness (higher is better). Null where undeclared. */
  coherence: z.number().nullable(),
});

export const DeployabilitySchema = z.object({
  fitsInMemory: z.boolean(),
  providerAvailable: z.boolean(),
  /** S(C): 1 for the family's smallest file, ½ for its largest, log-scaled between. */
  sizeScore: z.number(),
  score: z.number(),
});

export const ReportPointSchema = z.object({
  /** MODEL:PRECISION:DEPTH (text) or MODEL:PRECISION:STEPS (images). */
  id: z.string(),
  model: z.string(),
  role: z.enum(['teacher', 'student']).nullable(),
  precision: z.string(),
  depth: z.number().int().nullable(),
  steps: z.number().int().nullable(),
  /** The package's parameters (pareto.json); null where it declares none. */
  parameters: z.number().int().nullable(),
  /** Parameters per output: those its depth runs (text), parameters × steps (images); null where parameters are undeclared. */
  complexity: z.number().nullable(),
  /** Bytes of the weights this point runs (the UNet for images). */
  bytes: z.number().int().nonnegative(),
  compressionRatio: z.number().nullable(),
  /** ms/token (text) or s/image, median and spread of the counted repeats. */
  cost: SpreadSchema,
  samples: z.array(z.number()),
  /** Outputs per second: tokens/s or images/s, from the median cost. */
  throughput: z.number(),
  peakRssMb: z.number(),
  energy: ReportEnergySchema,
  /** What the package declares; null where it declares no quality (measured cost only). */
  quality: ReportQualitySchema.nullable(),
  qualityRatio: z.number().nullable(),
  efficiency: z.number(),
  paretoScore: z.number().nullable(),
  onFront: z.boolean().nullable(),
  deployability: DeployabilitySchema,
  index: z.number().nullable(),
});
export type ReportPoint = z.infer<typeof ReportPointSchema>;

export const UtilityCurveSchema = z.object({
  lambda: z.number(),
  /** U(C) at each front point, cheapest first. */
  points: z.array(z.object({ id: z.string(), cost: z.number(), utility: z.number() })),
  chosen: z.string(),
});
export type UtilityCurve = z.infer<typeof UtilityCurveSchema>;

export const FamilyReportSchema = z.object({
  kind: z.enum(['text', 'image']),
  family: z.string(),
  unit: z.enum(['ms/token', 's/image']),
  output: z.enum(['token', 'image']),
  qualityMeasure: z.enum(['bits/byte', 'Fréchet distance']),
  complexityMeasure: z.enum(['active parameters', 'parameters × steps']),
  coherenceMeasure: z.enum(['repetition', 'faithfulness']),
  points: z.array(ReportPointSchema),
  /** Empty where the family declares no quality: there is nothing to trade. */
  utility: z.array(UtilityCurveSchema),
  /** What was measured per point: counted repeats after one warm-up, and tokens per text run. */
  repeats: z.number().int(),
  tokens: z.number().int().nullable(),
  /** What went wrong or is missing (quality undeclared, a point that failed); the rest is kept. */
  problems: z.array(z.string()),
});
export type FamilyReport = z.infer<typeof FamilyReportSchema>;

export const ReportSchema = z.object({
  schemaVersion: z.literal(1),
  createdAt: z.string(),
  device: z.string(),
  ep: ExecutionProviderSchema,
  quick: z.boolean(),
  memoryMb: z.number(),
  families: z.array(FamilyReportSchema),
  /** Families that could not be measured at all, in words. */
  problems: z.array(z.string()),
});
export type Report = z.infer<typeof ReportSchema>;

export const ReportProgressEventSchema = z.object({
  type: z.literal('report-progress'),
  jobId: z.string(),
  family: z.string().nullable(),
  done: z.number().int(),
  total: z.number().int(),
  /** What runs now ("measuring pareto-stories-teacher fp32 depth 8", "writing figures"); null once over. */
  step: z.string().nullable(),
});

export const ReportDoneEventSchema = z.object({ type: z.literal('report-done'), jobId: z.string(), report: ReportSchema, folder: z.string(), files: z.array(z.string()) });

export const ReportEventSchemas = [ReportProgressEventSchema, ReportDoneEventSchema] as const;
export type ReportProgressEvent = z.infer<typeof ReportProgressEventSchema>;
export type ReportDoneEvent = z.infer<typeof ReportDoneEventSchema>;

/** Writes a report (from a run) into a folder: the view's export. */
export const ExportReportRequestSchema = z.strictObject({ report: ReportSchema, out: z.string().min(1) });
export const ReportFolderSchema = z.object({ folder: z.string(), files: z.array(z.string()) });
export type ReportFolder = z.infer<typeof ReportFolderSchema>;
