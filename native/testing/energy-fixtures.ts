import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunCommand } from '../energy/command-runner';
import type { EnergyReader } from '../energy/energy-reader';
import { CommandError } from '../energy/command-runner';
import { temporaryDir } from './fixtures';

export const ENERGY_FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../energy/fixtures');

/** A writable copy of a sysfs fixture tree; powercap zone folders get their real names back (`intel-rapl-0-1` → `intel-rapl:0:1`). */
export function sysfsTree(kind: 'powercap' | 'power_supply', name: string): string {
  const target = temporaryDir(`pareto-${kind}-`);
  for (const entry of fs.readdirSync(path.join(ENERGY_FIXTURES, kind, name))) {
    const real = kind === 'powercap' ? entry.replace(/^(intel-rapl|amd-rapl)((?:-\d+)+)$/, (_, prefix: string, parts: string) => prefix + parts.replace(/-/g, ':')) : entry;
    fs.cpSync(path.join(ENERGY_FIXTURES, kind, name, entry), path.join(target, real), { recursive: true });
  }
  return target;
}

export function commandOutput(file: string): string {
  return fs.readFileSync(path.join(ENERGY_FIXTURES, 'commands', file), 'utf8');
}

/**
 * A stand-in for running tools: each call answers with the next of `outputs` for that command (a fixture
 * file's text, or a CommandError to throw), repeating the last one.
 */
export function scriptedCommands(outputs: Record<string, (string | CommandError)[]>): RunCommand & { calls: string[][] } {
  const calls: string[][] = [];
  const run = async (command: string, args: readonly string[]) => {
    calls.push([command, ...args]);
    const queue = outputs[command];
    if (!queue?.length) throw new CommandError(`${command} is not installed (not on PATH)`, 'missing');
    const next = queue.length > 1 ? queue.shift()! : queue[0]!;
    if (next instanceof CommandError) throw next;
    return next;
  };
  return Object.assign(run, { calls });
}

/** A clock the test moves by hand. */
export function manualClock(start = 0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/** Why a reader is unavailable, or null when it is available. */
export async function unavailableBecause(reader: EnergyReader): Promise<string | null> {
  const probe = await reader.available();
  return probe.available ? null : probe.reason;
}
