import type { StudioEvent } from '../contract';
import type { EnergyMeter, EnergySnapshot } from '../energy';

/**
 * Runs a job's work under the energy meter: live `energy` events go out on every sample the meter
 * takes (its timer, not the token or step path), and the run's final energy comes back with the result.
 */
export async function meterJob<T>(meter: EnergyMeter, jobId: string, emit: (event: StudioEvent) => void, work: () => Promise<T>): Promise<{ value: T; energy: EnergySnapshot }> {
  const run = await meter.startRun();
  const unsubscribe = run.onSample(({ joules, watts, source, estimated, elapsedMs }) => emit({ type: 'energy', jobId, joules, watts, source, estimated, elapsedMs }));
  try {
    const value = await work();
    return { value, energy: await run.finish() };
  } catch (error) {
    await run.finish();
    throw error;
  } finally {
    unsubscribe();
  }
}
