import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandOutput, ENERGY_FIXTURES, manualClock, scriptedCommands, sysfsTree, unavailableBecause } from '../../testing/energy-fixtures';
import { CommandError, runCommand } from '../command-runner';
import { CombinedReader } from './combined-reader';
import { MacBatteryReader } from './mac-battery-reader';
import { NvidiaSmiReader } from './nvidia-smi-reader';
import { RaplReader } from './rapl-reader';
import { WindowsBatteryReader } from './windows-battery-reader';
import { WindowsEnergyMeterReader } from './windows-energy-meter-reader';

const refused = (file: string) => new CommandError('nvidia-smi failed', 'failed', commandOutput(file));

describe('NvidiaSmiReader', () => {
  it('reads the total-energy counter of every GPU, in joules since the probe', async () => {
    const run = scriptedCommands({ 'nvidia-smi': [commandOutput('nvidia-smi-energy.txt'), commandOutput('nvidia-smi-energy-later.txt')] });
    const reader = new NvidiaSmiReader(run);
    expect(await reader.available()).toEqual({ available: true, source: 'nvml:total-energy' });
    expect(await reader.read()).toBeCloseTo((100_000 + 20_000) / 1000, 9);
  });

  it('falls back to power.draw × time where nvidia-smi has no total-energy field, and labels it so', async () => {
    const clock = manualClock();
    const run = scriptedCommands({ 'nvidia-smi': [refused('nvidia-smi-invalid-field.txt'), commandOutput('nvidia-smi-power.txt')] });
    const reader = new NvidiaSmiReader(run, clock.now);
    expect(await reader.available()).toEqual({ available: true, source: 'nvidia-smi:power.draw×time' });
    clock.advance(1000);
    expect(await reader.read()).toBeCloseTo(71.43, 9);
  });

  it('rejects a counter that went backwards (the driver reloaded)', async () => {
    const run = scriptedCommands({ 'nvidia-smi': [commandOutput('nvidia-smi-energy.txt'), commandOutput('nvidia-smi-energy-backwards.txt')] });
    const reader = new NvidiaSmiReader(run);
    await reader.available();
    await expect(reader.read()).rejects.toThrow(/went backwards/);
  });

  it('is unavailable, with the reason, when missing, [N/A], or the driver fails', async () => {
    const probe = async (outputs: (string | CommandError)[]) => new NvidiaSmiReader(scriptedCommands({ 'nvidia-smi': outputs })).available();
    expect(await new NvidiaSmiReader(scriptedCommands({})).available()).toEqual({ available: false, reason: expect.stringMatching(/not installed: no NVIDIA driver/) });
    expect(await probe([refused('nvidia-smi-invalid-field.txt'), commandOutput('nvidia-smi-power-na.txt')])).toEqual({ available: false, reason: expect.stringMatching(/neither total energy nor power/) });
    expect(await probe([commandOutput('nvidia-smi-garbage.txt')])).toEqual({ available: false, reason: expect.stringMatching(/not 3 columns per GPU/) });
  });

  it('gives up on an nvidia-smi that hangs, after its timeout, without crashing', async () => {
    const hanging = path.join(ENERGY_FIXTURES, 'bin', 'nvidia-smi');
    const run = (_command: string, args: readonly string[]) => runCommand(hanging, args, 300);
    expect(await new NvidiaSmiReader(run).available()).toEqual({ available: false, reason: expect.stringMatching(/did not answer within 300 ms/) });
  });
});

describe('WindowsEnergyMeterReader', () => {
  it('reads package channels only, once each though the interface mirrors them, in joules', async () => {
    const run = scriptedCommands({ typeperf: [commandOutput('typeperf-energy.txt'), commandOutput('typeperf-energy-later.txt')] });
    const reader = new WindowsEnergyMeterReader(run, 'win32');
    expect(await reader.available()).toEqual({ available: true, source: 'emi:RAPL_Package0_PKG' });
    // 5,555,555,555 pWh = 20 J.
    expect(await reader.read()).toBeCloseTo(20, 6);
  });

  it('is unavailable off Windows, without a package channel, or without the counter', async () => {
    const reason = (file: string) => unavailableBecause(new WindowsEnergyMeterReader(scriptedCommands({ typeperf: [commandOutput(file)] }), 'win32'));
    expect(await new WindowsEnergyMeterReader(scriptedCommands({}), 'linux').available()).toEqual({ available: false, reason: expect.stringMatching(/not Windows/) });
    expect(await reason('typeperf-no-package.txt')).toMatch(/no CPU package channel/);
    expect(await reason('typeperf-no-counter.txt')).toMatch(/no Energy Meter sample/);
  });
});

describe('MacBatteryReader', () => {
  it('integrates |current| × voltage while on battery (ioreg prints the negative current unsigned)', async () => {
    const clock = manualClock();
    const reader = new MacBatteryReader(scriptedCommands({ ioreg: [commandOutput('ioreg-discharging.txt')] }), 'darwin', clock.now);
    expect(await reader.available()).toEqual({ available: true, source: 'ioreg:battery-discharge' });
    expect(await reader.onBattery()).toBe(true);
    clock.advance(1000);
    expect(await reader.read()).toBeCloseTo((1207 * 12302) / 1e6, 6);
  });

  it("reads the adapter's input power on AC, where the Mac reports it", async () => {
    const clock = manualClock();
    const reader = new MacBatteryReader(scriptedCommands({ ioreg: [commandOutput('ioreg-adapter.txt')] }), 'darwin', clock.now);
    expect(await reader.available()).toEqual({ available: true, source: 'ioreg:adapter-power' });
    expect(await reader.onBattery()).toBe(false);
    clock.advance(2000);
    expect(await reader.read()).toBeCloseTo(38.412 * 2, 6);
  });

  it('is unavailable on AC without telemetry, without a battery, and off macOS', async () => {
    const reason = (file: string) => unavailableBecause(new MacBatteryReader(scriptedCommands({ ioreg: [commandOutput(file)] }), 'darwin'));
    expect(await reason('ioreg-adapter-no-telemetry.txt')).toMatch(/on AC power and this Mac reports no adapter power/);
    expect(await reason('ioreg-no-battery.txt')).toMatch(/no battery/);
    expect(await new MacBatteryReader(scriptedCommands({}), 'linux').available()).toEqual({ available: false, reason: expect.stringMatching(/not macOS/) });
  });
});

describe('WindowsBatteryReader', () => {
  it('integrates the discharge rate while discharging', async () => {
    const clock = manualClock();
    const reader = new WindowsBatteryReader(scriptedCommands({ 'powershell.exe': [commandOutput('battery-status-discharging.json')] }), 'win32', clock.now);
    expect(await reader.available()).toEqual({ available: true, source: 'battery:wmi-discharge-rate' });
    expect(await reader.onBattery()).toBe(true);
    clock.advance(4000);
    expect(await reader.read()).toBeCloseTo(9.875 * 4, 6);
  });

  it('is unavailable on AC, with garbage, and off Windows', async () => {
    const reason = (file: string) => unavailableBecause(new WindowsBatteryReader(scriptedCommands({ 'powershell.exe': [commandOutput(file)] }), 'win32'));
    expect(await reason('battery-status-charging.json')).toMatch(/on AC power/);
    expect(await reason('battery-status-garbage.txt')).toMatch(/not BatteryStatus JSON/);
    expect(await new WindowsBatteryReader(scriptedCommands({}), 'linux').available()).toEqual({ available: false, reason: 'not Windows.' });
  });
});

describe('CombinedReader', () => {
  it('counts the CPU package and the GPU together, and needs both', async () => {
    const root = sysfsTree('powercap', 'amd-zen');
    const gpu = () => new NvidiaSmiReader(scriptedCommands({ 'nvidia-smi': [commandOutput('nvidia-smi-energy.txt'), commandOutput('nvidia-smi-energy-later.txt')] }));
    const both = new CombinedReader('rapl+nvidia-smi', 'CPU and GPU', [new RaplReader(root), gpu()]);
    expect(await both.available()).toEqual({ available: true, source: 'rapl:package-0+nvml:total-energy' });
    fs.writeFileSync(path.join(root, 'intel-rapl:0', 'energy_uj'), `${7_000_000 + 3_000_000}\n`);
    expect(await both.read()).toBeCloseTo(3 + 120, 6);
    const withoutGpu = new CombinedReader('rapl+nvidia-smi', 'CPU and GPU', [new RaplReader(root), new NvidiaSmiReader(scriptedCommands({}))]);
    expect(await unavailableBecause(withoutGpu)).toMatch(/^needs NVIDIA GPU \(nvidia-smi\): nvidia-smi is not installed/);
  });
});
