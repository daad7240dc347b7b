import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporaryDir } from '../testing/fixtures';
import type { FamilyCalibration } from './calibration';
import { CalibrationStore } from './calibration-store';

const calibration = (relative: number): FamilyCalibration => ({
  conditions: 'cpu',
  calibratedAt: '2026-12-01T00:00:00Z',
  repeats: 3,
  points: { 'student:fp32:2': { relative, low: relative * 0.9, high: relative * 1.1, samples: 3, fileId: 'model.onnx:1:1' } },
  level: { value: 2, drift: 0, runs: 1, updatedAt: '2026-12-01T00:00:00Z' },
  changes: [],
});

describe('CalibrationStore', () => {
  it('rejects costs of 0 or less on read, restoring the last good copy (finding 10)', () => {
    const dir = temporaryDir();
    const store = new CalibrationStore(dir, 'test device');
    store.set('text:f:cpu', calibration(1));
    store.set('text:f:cpu', calibration(0.5));
    const file = path.join(dir, 'calibration.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"relative": 0.5', '"relative": 0').replace(/"low": [\d.]+/, '"low": -1'));
    const reopened = new CalibrationStore(dir, 'test device');
    expect(reopened.get('text:f:cpu')!.points['student:fp32:2']!.relative).toBe(1);
    expect(reopened.problem).toMatch(/calibration\.json was damaged \(kept as .*\.corrupt-.*\); its last good copy was restored/);
  });

  it('keeps memory as on disk when a save fails', () => {
    const dir = temporaryDir();
    const store = new CalibrationStore(dir, 'test device');
    store.set('text:f:cpu', calibration(1));
    fs.mkdirSync(path.join(dir, 'calibration.json.last-good'));
    expect(() => store.set('text:f:cpu', calibration(3))).toThrow();
    expect(store.get('text:f:cpu')!.points['student:fp32:2']!.relative).toBe(1);
  });
});
