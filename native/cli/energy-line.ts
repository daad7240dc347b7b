import { isEstimatedSource, type RunMetrics } from '../contract';

/** A run's energy for the CLI's summary line: "0.134 J estimated (0.067–0.201 J), 2.2 mJ/token, 6.0 W". */
export function energyLine(metrics: Pick<RunMetrics, 'energyJ' | 'energySource' | 'energyJRange' | 'meanWatts' | 'joulesPerOutput'>, unit: 'token' | 'image'): string {
  if (metrics.energyJ === null) return 'energy unavailable';
  const kind = isEstimatedSource(metrics.energySource) ? 'estimated' : `measured by ${metrics.energySource}`;
  const range = metrics.energyJRange ? ` (${metrics.energyJRange.low.toFixed(3)}–${metrics.energyJRange.high.toFixed(3)} J)` : '';
  const perOutput = metrics.joulesPerOutput === null ? '' : `, ${(metrics.joulesPerOutput * 1000).toFixed(2)} mJ/${unit}`;
  const watts = metrics.meanWatts === null ? '' : `, ${metrics.meanWatts.toFixed(1)} W`;
  return `${metrics.energyJ.toFixed(3)} J ${kind}${range}${perOutput}${watts}`;
}
