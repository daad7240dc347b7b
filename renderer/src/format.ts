import type { EnergyAssumptions, FinishReason, GenerationConfig, ImageOperatingPoint } from '../../native/contract';

export const FINISH_LABELS: Record<FinishReason, string> = {
  eos: 'end of story',
  stop: 'stop sequence',
  length: 'length limit',
  context: 'context full',
  cancelled: 'stopped: cancelled',
};

const EP_LABELS: Record<string, string> = { cpu: 'CPU', cuda: 'CUDA', dml: 'DirectML', coreml: 'Core ML', webgpu: 'WebGPU' };

export function epLabel(ep: string): string {
  return EP_LABELS[ep] ?? ep;
}

/** A metric for display: "—" when unknown, fixed decimals otherwise. */
export function formatNumber(value: number | null | undefined, decimals = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(decimals);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatTokens(count: number): string {
  return count >= 1024 && count % 1024 === 0 ? `${count / 1024}k` : String(count);
}

/** Names of request and settings fields as the UI shows them, for validation messages. */
const FIELD_LABELS: Record<string, string> = {
  model: 'Model',
  defaultModel: 'Default model',
  threads: 'Threads',
  graphOptimizationLevel: 'Graph optimization',
  sessionCacheMb: 'Session cache',
  historyLimit: 'Outputs kept',
  prompt: 'Prompt',
  maxNewTokens: 'Max new tokens',
  temperature: 'Temperature',
  topK: 'Top-k',
  topP: 'Top-p',
  seed: 'Seed',
  precision: 'Precision',
  ep: 'Execution provider',
  lambda: 'λ',
  lambdaPresets: 'Presets',
  depth: 'Depth',
  window: 'Attention window',
  sinks: 'Sink positions',
  dynamicPrecision: 'Dynamic precision',
  cheap: 'Cheap variant',
  full: 'Full variant',
  entropyThreshold: 'Entropy threshold',
  stop: 'Stop strings',
  repetitionPenalty: 'Repetition penalty',
  minP: 'Min-p',
  batteryLambdaShift: 'Battery λ shift',
  latencyMsPerToken: 'Latency target (ms/token)',
  latencySPerImage: 'Latency target (s/image)',
  energyJPerToken: 'Energy target (J/token)',
  energyJPerImage: 'Energy target (J/image)',
};

export function fieldLabel(field: string): string {
  return FIELD_LABELS[field] ?? 'Value';
}

export type OperatingPoint = NonNullable<GenerationConfig['operatingPoint']>;

/** λ as the slider shows it: two decimals. */
export function formatLambda(lambda: number): string {
  return lambda.toFixed(2);
}

/** Milliseconds per token with the precision a reader needs: 0.05, 0.8, 12. */
export function formatMsPerToken(ms: number): string {
  return ms >= 10 ? ms.toFixed(0) : ms >= 0.1 ? ms.toFixed(1) : ms.toFixed(2);
}

export function formatLayers(depth: number): string {
  return `${depth} layer${depth === 1 ? '' : 's'}`;
}

/** The point λ selected, short: "student-s · int8 · 3 layers". */
export function formatOperatingPointShort(point: OperatingPoint): string {
  return [point.model, point.precision, formatLayers(point.depth)].join(' · ');
}

/** The point λ selected with what it costs: "student-s · int8 · 3 layers · 1.52 bits/byte · 0.8 ms/token". */
export function formatOperatingPoint(point: OperatingPoint): string {
  return `${formatOperatingPointShort(point)} · ${point.bitsPerByte.toFixed(2)} bits/byte · ${formatMsPerToken(point.msPerToken)} ms/token`;
}

/** What λ weighed for any operating point, text or image: U = λ·Q/Qmax + (1−λ)·E. */
export interface UtilityTerms {
  lambda: number;
  utility: number;
  quality: number;
  efficiency: number;
}

/** The utility terms behind a selection, for a tooltip: U = λ·Q/Qmax + (1−λ)·E. */
export function describeUtility(point: UtilityTerms): string {
  return `λ ${formatLambda(point.lambda)}: utility ${point.utility.toFixed(3)} = λ·quality ${point.quality.toFixed(3)} + (1−λ)·efficiency ${point.efficiency.toFixed(3)}`;
}

/** Seconds per image with the precision a reader needs: 0.04, 1.25, 12.5. */
export function formatSecondsPerImage(seconds: number): string {
  return seconds >= 10 ? seconds.toFixed(1) : seconds.toFixed(2);
}

/** The image point λ selected, short: "emoji-student · int8 · 4 steps". */
export function formatImageOperatingPointShort(point: ImageOperatingPoint): string {
  return [point.model, point.precision, `${point.steps} step${point.steps === 1 ? '' : 's'}`].join(' · ');
}

/** The image point λ selected with its predicted quality and cost: "emoji-student · int8 · 4 steps · Fréchet 10.76 · 0.05 s/image". */
export function formatImageOperatingPoint(point: ImageOperatingPoint): string {
  return `${formatImageOperatingPointShort(point)} · Fréchet ${point.frechetDistance.toFixed(2)} · ${formatSecondsPerImage(point.sPerImage)} s/image`;
}

/** The tooltip for an image point: the utility terms, and prompt faithfulness where the package measured it. */
export function describeImageOperatingPoint(point: ImageOperatingPoint): string {
  const faithfulness = point.faithfulness === null ? '' : `; prompt faithfulness ${Math.round(point.faithfulness * 100)}%`;
  return `${describeUtility(point)}; Fréchet distance ${point.frechetDistance.toFixed(2)} (lower is better)${faithfulness}`;
}

/** Shares of tokens per precision variant, largest first: "int8 72% · fp32 28%". */
export function formatPrecisionShare(share: Record<string, number>): string {
  return Object.entries(share)
    .sort(([, a], [, b]) => b - a)
    .map(([variant, fraction]) => `${variant} ${Math.round(fraction * 100)}%`)
    .join(' · ');
}

/** Where the slider sits, in a word: λ 0 is the most efficient point, λ 1 the best quality. */
export function lambdaWord(lambda: number): string {
  if (lambda <= 0.15) return 'Most efficient';
  if (lambda <= 0.4) return 'Efficient';
  if (lambda < 0.6) return 'Balanced';
  if (lambda < 0.85) return 'Quality';
  return 'Best quality';
}

/** When an output was made, in the reader's locale: "1 Dec 2026, 21:54". */
export function formatWhen(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Joules with the precision a reader needs: 0.134 J, 2.41 J, 153 J. */
export function formatJoules(joules: number): string {
  return joules >= 100 ? joules.toFixed(0) : joules >= 1 ? joules.toFixed(2) : joules.toFixed(3);
}

/** Energy per output, in mJ below a joule: "2.22 mJ", "1.35 J". */
export function formatJoulesPerOutput(joules: number): { value: string; unit: string } {
  return joules >= 1 ? { value: joules.toFixed(2), unit: 'J' } : { value: (joules * 1000).toFixed(joules >= 0.01 ? 1 : 2), unit: 'mJ' };
}

/** How a run's energy was found out, for a tooltip: the counter that measured it, or the estimate's formula and assumptions. */
export function describeEnergy(source: string | null, estimated: boolean, range: { low: number; high: number } | null, assumptions: EnergyAssumptions | undefined): string {
  if (!source) return 'No energy reading yet.';
  if (!estimated) return `Measured by ${source}: a hardware energy counter or power sensor, not an estimate.`;
  const basis = assumptions
    ? `${assumptions.formula}: ${assumptions.wattsPerCore.toFixed(2)} W per core (${assumptions.cpuClass}: ${assumptions.tdpWatts} W TDP / ${assumptions.cores} cores; this CPU: ${assumptions.cpuModel}). It leaves out ${assumptions.excludes}.`
    : 'energy ≈ process CPU seconds × watts per busy core, from a TDP table.';
  const spread = range ? ` Likely range ${formatJoules(range.low)}–${formatJoules(range.high)} J (×${assumptions?.lowFactor ?? 0.5}–×${assumptions?.highFactor ?? 1.5}).` : '';
  return `Estimated, not measured (no energy counter is readable here): ${basis}${spread}`;
}
