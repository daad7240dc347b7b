import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock, sysfsTree, unavailableBecause } from '../../testing/energy-fixtures';
import { EnergyReadError } from '../energy-reader';
import { LinuxBatteryReader } from './linux-battery-reader';
import { RaplReader } from './rapl-reader';
import { readSysfsText } from './sysfs';

const setCounter = (root: string, zone: string, uj: number) => fs.writeFileSync(path.join(root, zone, 'energy_uj'), `${uj}\n`);

describe('RaplReader', () => {
  it('reads the package zone only, not its core/uncore sub-zones or psys', async () => {
    const root = sysfsTree('powercap', 'intel-laptop');
    const reader = new RaplReader(root);
    expect(await reader.available()).toEqual({ available: true, source: 'rapl:package-0' });
    expect(await reader.read()).toBe(0);
    setCounter(root, 'intel-rapl:0', 51_234_567_890 + 2_500_000);
    setCounter(root, 'intel-rapl:0:0', 20_123_456_789 + 9_000_000);
    setCounter(root, 'intel-rapl:1', 81_234_567_890 + 9_000_000);
    expect(await reader.read()).toBeCloseTo(2.5, 9);
  });

  it('sums both packages of a two-socket machine and skips their DRAM sub-zones', async () => {
    const root = sysfsTree('powercap', 'xeon-2socket');
    const reader = new RaplReader(root);
    expect(await reader.available()).toEqual({ available: true, source: 'rapl:package-0+package-1' });
    setCounter(root, 'intel-rapl:0', 1_000_000_000 + 1_000_000);
    setCounter(root, 'intel-rapl:1', 2_000_000_000 + 3_000_000);
    setCounter(root, 'intel-rapl:0:0', 900_000_000);
    expect(await reader.read()).toBeCloseTo(4, 9);
  });

  it('reads AMD Zen packages through the same tree', async () => {
    const root = sysfsTree('powercap', 'amd-zen');
    const reader = new RaplReader(root);
    expect(await reader.available()).toEqual({ available: true, source: 'rapl:package-0' });
    setCounter(root, 'intel-rapl:0', 7_000_000 + 420_000);
    expect(await reader.read()).toBeCloseTo(0.42, 9);
  });

  it('counts across a wrap-around at max_energy_range_uj', async () => {
    const root = sysfsTree('powercap', 'wrap');
    const reader = new RaplReader(root);
    await reader.available();
    const max = 262_143_328_850;
    setCounter(root, 'intel-rapl:0', max - 100_000);
    expect(await reader.read()).toBeCloseTo((max - 100_000 - 262_143_000_000) / 1e6, 9);
    setCounter(root, 'intel-rapl:0', 400_000);
    expect(await reader.read()).toBeCloseTo((max - 262_143_000_000 + 400_000) / 1e6, 9);
  });

  it('rejects a counter that went backwards without wrapping (a negative delta)', async () => {
    const root = sysfsTree('powercap', 'intel-laptop');
    const reader = new RaplReader(root);
    await reader.available();
    setCounter(root, 'intel-rapl:0', 51_234_567_890 - 5_000_000);
    await expect(reader.read()).rejects.toThrow(/went backwards/);
  });

  it('reports a root-only counter with the udev rule that fixes it', async () => {
    const root = sysfsTree('powercap', 'intel-laptop');
    const rootOnly = (file: string) => {
      if (file.endsWith('energy_uj')) throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
      return readSysfsText(file);
    };
    const probe = await new RaplReader(root, rootOnly).available();
    expect(probe.available).toBe(false);
    const reason = probe.available ? '' : probe.reason;
    expect(reason).toMatch(/readable by root only/);
    expect(reason).toMatch(/SUBSYSTEM=="powercap".*chmod g\+r/);
  });

  it('marks garbage, out-of-range values, a missing tree and a tree without packages unavailable, with the reason', async () => {
    const reasons = await Promise.all(
      [sysfsTree('powercap', 'garbage'), sysfsTree('powercap', 'above-range'), '/no/such/powercap', sysfsTree('powercap', 'psys-only')].map((root) => unavailableBecause(new RaplReader(root))),
    );
    expect(reasons[0]).toMatch(/energy_uj holds ".*garbage", not a number/);
    expect(reasons[1]).toMatch(/above its max_energy_range_uj/);
    expect(reasons[2]).toMatch(/does not exist: not Linux/);
    expect(reasons[3]).toMatch(/no RAPL package zone/);
  });
});

describe('LinuxBatteryReader', () => {
  it('integrates power_now while discharging, and knows it is on battery', async () => {
    const root = sysfsTree('power_supply', 'discharging-power-now');
    const clock = manualClock();
    const reader = new LinuxBatteryReader(root, readSysfsText, clock.now);
    expect(await reader.available()).toEqual({ available: true, source: 'battery:BAT0' });
    expect(await reader.onBattery()).toBe(true);
    clock.advance(2000);
    expect(await reader.read()).toBeCloseTo(11.5 * 2, 9);
    fs.writeFileSync(path.join(root, 'BAT0', 'power_now'), '13500000\n');
    clock.advance(1000);
    expect(await reader.read()).toBeCloseTo(23 + (11.5 + 13.5) / 2, 9);
  });

  it('uses current_now × voltage_now where power_now is missing', async () => {
    const clock = manualClock();
    const reader = new LinuxBatteryReader(sysfsTree('power_supply', 'discharging-current-voltage'), readSysfsText, clock.now);
    expect(await reader.available()).toEqual({ available: true, source: 'battery:BAT1' });
    clock.advance(1000);
    expect(await reader.read()).toBeCloseTo(1.25 * 12, 9);
  });

  it('counts the fall of energy_now where the battery reports nothing else, and rejects a rise', async () => {
    const root = sysfsTree('power_supply', 'discharging-energy-only');
    const reader = new LinuxBatteryReader(root);
    await reader.available();
    fs.writeFileSync(path.join(root, 'BAT0', 'energy_now'), `${40_000_000 - 1000}\n`);
    expect(await reader.read()).toBeCloseTo(1000 * 0.0036, 9);
    fs.writeFileSync(path.join(root, 'BAT0', 'energy_now'), `${40_000_000 + 5000}\n`);
    await expect(reader.read()).rejects.toThrow(/energy_now rose/);
  });

  it('is unavailable on AC (charging) and without a battery, and says which', async () => {
    const charging = new LinuxBatteryReader(sysfsTree('power_supply', 'charging'));
    expect(await charging.available()).toEqual({ available: false, reason: expect.stringMatching(/on AC power \(BAT0 Charging\)/) });
    expect(await charging.onBattery()).toBe(false);
    const desktop = new LinuxBatteryReader(sysfsTree('power_supply', 'no-battery'));
    expect(await desktop.available()).toEqual({ available: false, reason: expect.stringMatching(/no battery/) });
    expect(await desktop.onBattery()).toBe(false);
    expect(await new LinuxBatteryReader('/no/such/power_supply').onBattery()).toBeNull();
  });

  it('rejects a garbage power_now, and a battery that starts charging mid-run', async () => {
    const garbage = await new LinuxBatteryReader(sysfsTree('power_supply', 'garbage')).available();
    expect(garbage).toEqual({ available: false, reason: expect.stringMatching(/power_now holds "not-a-number"/) });
    const root = sysfsTree('power_supply', 'discharging-power-now');
    const reader = new LinuxBatteryReader(root);
    await reader.available();
    fs.writeFileSync(path.join(root, 'BAT0', 'status'), 'Charging\n');
    await expect(reader.read()).rejects.toBeInstanceOf(EnergyReadError);
  });
});
