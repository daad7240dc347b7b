import { isEstimatedSource, type CompareFigures, type CompareMeasure, type RunMetrics } from '../../../native/contract';
import { liveMsPerStep, type ImageJobState } from '../state/imageJobState';

/** One figure of a pane as the Compare view and its exports show it. */
export interface FigureRow {
  measure: CompareMeasure;
  label: string;
  unit: string;
  decimals: number;
  title: string;
}

const MEMORY: FigureRow = { measure: 'peakRssMb', label: 'Peak memory', unit: 'MB', decimals: 0, title: 'Peak resident memory of the engine during the pane' };
const ENERGY: FigureRow = { measure: 'energyJ', label: 'Energy', unit: 'J', decimals: 2, title: 'Energy of the run, with the meter that measured it' };

export const TEXT_ROWS: FigureRow[] = [
  { measure: 'ttftMs', label: 'TTFT', unit: 'ms', decimals: 1, title: 'Time to first token' },
  { measure: 'msPerToken', label: 'Per token', unit: 'ms', decimals: 2, title: 'Milliseconds per generated token' },
  { measure: 'tokensPerSecond', label: 'Throughput', unit: 'tok/s', decimals: 1, title: 'Generated tokens per second' },
  MEMORY,
  ENERGY,
  { measure: 'joulesPerOutput', label: 'Per token', unit: 'J', decimals: 4, title: 'Joules per generated token' },
  { measure: 'bitsPerByte', label: 'Bits/byte', unit: '', decimals: 3, title: 'Held-out bits per byte the package declares for this point (lower is better)' },
];

export const IMAGE_ROWS: FigureRow[] = [
  { measure: 'msPerStep', label: 'Per step', unit: 'ms', decimals: 1, title: 'Milliseconds per denoising step' },
  { measure: 'sPerImage', label: 'Per image', unit: 's', decimals: 2, title: 'Seconds for the whole image' },
  MEMORY,
  ENERGY,
  { measure: 'joulesPerOutput', label: 'Per image', unit: 'J', decimals: 2, title: 'Joules per image' },
  { measure: 'frechetDistance', label: 'Fréchet', unit: '', decimals: 2, title: 'Fréchet distance the package declares for this point (lower is better)' },
];

export const rowsFor = (kind: 'text' | 'image') => (kind === 'text' ? TEXT_ROWS : IMAGE_ROWS);

/** What a pane's figures are while it runs: the live metrics, before the host's final figures arrive. */
export type LiveFigures = Partial<Pick<CompareFigures, CompareMeasure | 'energySource' | 'energyEstimated'>>;

export function liveTextFigures(metrics: RunMetrics | null, bitsPerByte: number | null): LiveFigures {
  if (!metrics) return { bitsPerByte };
  const { ttftMs, msPerToken, tokensPerSecond, peakRssMb, energyJ, energySource } = metrics;
  return { ttftMs, msPerToken, tokensPerSecond, peakRssMb, energyJ, energySource, bitsPerByte };
}

export function liveImageFigures(job: ImageJobState | undefined, frechetDistance: number | null): LiveFigures {
  return { msPerStep: liveMsPerStep(job), sPerImage: job?.metrics?.sPerImage ?? null, peakRssMb: job?.metrics?.peakRssMb ?? null, frechetDistance };
}

/** The energy figure's tooltip: measured by what, or estimated, or not available. */
export function energyTitle(figures: LiveFigures): string {
  if (figures.energyJ === null || figures.energyJ === undefined) return 'Energy unavailable: no energy meter reported this run';
  const source = figures.energySource ?? 'an unnamed meter';
  return figures.energyEstimated || isEstimatedSource(source) ? `Estimated (${source}), not measured` : `Measured by ${source}`;
}
