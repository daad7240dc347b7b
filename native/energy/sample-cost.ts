import type { EnergyMeter } from './energy-meter';

/**
 * What one sample of the meter costs in CPU, measured alone: back-to-back samples with nothing else
 * running in this process, so process CPU time is the meter's own (during a run, onnxruntime's threads
 * would be counted with it). Times the sampling rate, it is the meter's share of a core.
 */
export async function sampleCostMicros(meter: EnergyMeter, samples = 5000): Promise<number> {
  const run = await meter.startRun();
  try {
    for (let i = 0; i < samples / 10; i++) await meter.sample();
    const before = process.cpuUsage();
    for (let i = 0; i < samples; i++) await meter.sample();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / samples;
  } finally {
    await run.finish();
  }
}
