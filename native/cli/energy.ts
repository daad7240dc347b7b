import type { EnergyControllerSettings, EnergyStatus } from '../contract';
import { defaultDataDir, defaultModelsDir } from '../host/paths';
import { StudioHost } from '../host/studio-host';
import { numberOption, parseOptions, UsageError } from './args';
import { ENERGY_USAGE } from './usage';


const TARGETS = {
  'latency-ms-per-token': 'latencyMsPerToken',
  'latency-s-per-image': 'latencySPerImage',
  'energy-j-per-token': 'energyJPerToken',
  'energy-j-per-image': 'energyJPerImage',
} as const;

function targetOption(name: string, value: string | undefined): number | null | undefined {
  if (value === 'off') return null;
  return numberOption(name, value, Number.MIN_VALUE, 1_000_000);
}

export function describeController(settings: EnergyControllerSettings): string {
  if (!settings.enabled) return 'off';
  const targets = [
    `on battery λ −${settings.batteryLambdaShift.toFixed(2)}`,
    settings.latencyMsPerToken !== null && `latency ${settings.latencyMsPerToken} ms/token`,
    settings.latencySPerImage !== null && `latency ${settings.latencySPerImage} s/image`,
    settings.energyJPerToken !== null && `energy ${settings.energyJPerToken} J/token`,
    settings.energyJPerImage !== null && `energy ${settings.energyJPerImage} J/image`,
  ].filter(Boolean);
  return `on (${targets.join(', ')})`;
}

function describeStatus(status: EnergyStatus, controller: EnergyControllerSettings): string {
  const a = status.assumptions;
  const power = status.onBattery === null ? 'unknown' : status.onBattery ? 'on battery' : 'on AC';
  const rows = status.readers.map((reader) => `  ${reader.available ? 'ok ' : '-- '} ${reader.id.padEnd(16)} ${reader.inUse ? `in use: ${reader.source}` : reader.available ? `available: ${reader.source}` : reader.reason}\n`);
  return (
    `energy source: ${status.source} (${status.estimated ? 'estimated' : 'measured'})\n` +
    rows.join('') +
    `estimate: ${a.formula}; ${a.cpuModel} → ${a.cpuClass}: ${a.tdpWatts} W / ${a.cores} cores = ${a.wattsPerCore.toFixed(2)} W per core, ` +
    `range ×${a.lowFactor}–×${a.highFactor}; leaves out ${a.excludes}\n` +
    `power: ${power}\ncontroller: ${describeController(controller)}\n`
  );
}

export async function energy(args: string[]): Promise<number> {
  const { values, positionals } = parseOptions(args, {
    json: { type: 'boolean' },
    on: { type: 'boolean' },
    off: { type: 'boolean' },
    'battery-shift': { type: 'string' },
    ...Object.fromEntries(Object.keys(TARGETS).map((name) => [name, { type: 'string' as const }])),
  });
  const host = new StudioHost({ dataDir: defaultDataDir(), bundledModelsDir: defaultModelsDir() });
  try {
    if (positionals[0] === 'controller') {
      if (values.on && values.off) throw new UsageError('--on and --off cannot be combined.');
      const current = (await host.invoke('getSettings')).energyController;
      const next: EnergyControllerSettings = { ...current, enabled: values.on ? true : values.off ? false : current.enabled };
      next.batteryLambdaShift = numberOption('battery-shift', values['battery-shift'] as string | undefined, 0, 1) ?? current.batteryLambdaShift;
      for (const [option, field] of Object.entries(TARGETS)) {
        const value = targetOption(option, values[option as keyof typeof values] as string | undefined);
        if (value !== undefined) next[field] = value;
      }
      const saved = (await host.invoke('updateSettings', { energyController: next })).energyController;
      process.stdout.write(values.json ? JSON.stringify(saved) + '\n' : `controller: ${describeController(saved)}\n`);
      return 0;
    }
    if (positionals.length) throw new UsageError(`Unknown energy action "${positionals[0]}". Usage: ${ENERGY_USAGE}`);
    const [status, settings] = await Promise.all([host.invoke('getEnergyStatus'), host.invoke('getSettings')]);
    process.stdout.write(values.json ? JSON.stringify({ ...status, controller: settings.energyController }) + '\n' : describeStatus(status, settings.energyController));
    return 0;
  } finally {
    await host.dispose();
  }
}
