import { EnergyMeter } from './energy-meter';
import { CombinedReader } from './readers/combined-reader';
import { CpuTimeEstimateReader } from './readers/cpu-time-estimate';
import { LinuxBatteryReader } from './readers/linux-battery-reader';
import { MacBatteryReader } from './readers/mac-battery-reader';
import { NvidiaSmiReader } from './readers/nvidia-smi-reader';
import { RaplReader } from './readers/rapl-reader';
import { WindowsBatteryReader } from './readers/windows-battery-reader';
import { WindowsEnergyMeterReader } from './readers/windows-energy-meter-reader';

export { EnergyMeter, RunEnergy, type EnergySnapshot } from './energy-meter';
export { EnergyController } from './energy-controller';

/**
 * The meter with every reader, best first: the CPU package and an NVIDIA GPU together, hardware counters,
 * then power sensors, then the labelled estimate.
 */
export function createEnergyMeter(options: { timer?: boolean } = {}): EnergyMeter {
  const estimate = new CpuTimeEstimateReader();
  const cpuAndGpu = new CombinedReader('rapl+nvidia-smi', 'CPU package and NVIDIA GPU (RAPL + nvidia-smi)', [new RaplReader(), new NvidiaSmiReader()]);
  const readers = [cpuAndGpu, new RaplReader(), new NvidiaSmiReader(), new WindowsEnergyMeterReader(), new MacBatteryReader(), new LinuxBatteryReader(), new WindowsBatteryReader(), estimate];
  return new EnergyMeter(readers, estimate, options);
}
