import type { RunMetrics } from '../contract';
import type { EnergySnapshot } from './energy-meter';

export type EnergyMetrics = Pick<RunMetrics, 'energyJ' | 'energySource' | 'energyJRange' | 'meanWatts' | 'joulesPerOutput'>;

/** A run's energy fields: its joules and source, the range when estimated, mean watts and joules per output (token or image). */
export function energyMetrics(energy: EnergySnapshot, outputs: number): EnergyMetrics {
  const seconds = energy.elapsedMs / 1000;
  return {
    energyJ: energy.joules,
    energySource: energy.source,
    energyJRange: energy.range,
    meanWatts: seconds > 0 ? energy.joules / seconds : null,
    joulesPerOutput: outputs > 0 ? energy.joules / outputs : null,
  };
}
