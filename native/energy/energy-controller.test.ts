import { describe, expect, it } from 'vitest';
import type { EnergyControllerSettings } from '../contract';
import { BYTES_PER_WORD, chooseOperatingPoint, textQuality } from '../policy/operating-point-policy';
import { EnergyController, type BudgetKnobs, type PredictCost } from './energy-controller';

/** A family as this device runs it: the quality each point declares and what it truly costs here (ms/token). */
const FAMILY = [
  { label: 'teacher fp32', bitsPerWord: 1.0, trueCost: 6.0 },
  { label: 'teacher int8', bitsPerWord: 1.03, trueCost: 3.5 },
  { label: 'student-m fp32', bitsPerWord: 1.1, trueCost: 2.8 },
  { label: 'student-m int8', bitsPerWord: 1.14, trueCost: 1.3 },
  { label: 'student-s fp32', bitsPerWord: 1.3, trueCost: 1.2 },
  { label: 'student-s int8', bitsPerWord: 1.4, trueCost: 0.7 },
];

const PRECISIONS = ['fp32', 'int8'];

const OFF: EnergyControllerSettings = { enabled: false, batteryLambdaShift: 0.3, latencyMsPerToken: null, latencySPerImage: null, energyJPerToken: null, energyJPerImage: null };

/** A seeded ±5 % run-to-run noise, so the simulation is the same on every machine. */
function noise(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return 0.95 + 0.1 * (state / 2 ** 31);
  };
}

/**
 * A device and the host's calibration of it: each point's cost is measured on first use and refined by
 * every run (the calibration store's running estimate), and λ chooses with the real policy.
 */
function simulatedDevice(seed: number) {
  const jitter = noise(seed);
  let slowdown = 1;
  const calibrated = new Map<string, number>();
  const measure = (label: string) => FAMILY.find((point) => point.label === label)!.trueCost * slowdown * jitter();
  const predict: PredictCost = async ({ lambda, precision }) => {
    const candidates = FAMILY.filter((point) => !precision || point.label.endsWith(precision)).map((point) => ({
      ...point,
      id: point.label,
      quality: textQuality(point.bitsPerWord / BYTES_PER_WORD),
      cost: calibrated.get(point.label) ?? calibrated.set(point.label, measure(point.label)).get(point.label)!,
    }));
    const chosen = chooseOperatingPoint(candidates, lambda);
    return { cost: chosen.cost, quality: -chosen.bitsPerWord, label: chosen.label };
  };
  const run = async (knobs: BudgetKnobs) => {
    const { label } = (await predict(knobs))!;
    const cost = measure(label);
    calibrated.set(label, calibrated.get(label)! * 0.7 + cost * 0.3);
    return { label, cost };
  };
  return { predict, run, throttle: (factor: number) => void (slowdown = factor) };
}

async function runMany(settings: EnergyControllerSettings, runs: number, device: ReturnType<typeof simulatedDevice>, lambda = 0.9, onRun?: (index: number) => void) {
  const controller = new EnergyController();
  const results = [];
  for (let index = 0; index < runs; index++) {
    onRun?.(index);
    const decided = await controller.decide(settings, 'text', lambda, false, device.predict, PRECISIONS);
    results.push({ ...(await device.run(decided?.knobs ?? { lambda })), decision: decided?.decision ?? null });
  }
  return results;
}

describe('EnergyController', () => {
  const latency = { ...OFF, enabled: true, latencyMsPerToken: 2 };

  it('holds a latency target within 15 % over 20 consecutive runs, at the best point that meets it', async () => {
    const results = await runMany(latency, 20, simulatedDevice(7));
    for (const result of results) expect(result.cost).toBeLessThanOrEqual(2 * 1.15);
    expect(results.filter((result) => result.label === 'student-m int8').length).toBeGreaterThanOrEqual(19);
    expect(results[0]!.decision).toMatchObject({ lambdaFrom: 0.9, summary: expect.stringMatching(/^latency target: λ 0\.90 → 0\.\d\d, student-m int8$/) });
    expect(results[0]!.decision!.reasons[0]).toMatch(/^latency target 2\.00 ms\/token: held at student-m int8, 1\.\d\d ms\/token measured here$/);
    // Without the controller λ 0.9 runs the teacher, three times over the budget.
    const uncontrolled = await runMany(OFF, 3, simulatedDevice(7));
    expect(uncontrolled.every((result) => result.label === 'teacher fp32' && result.cost > 2 * 2.5)).toBe(true);
  });

  it('moves to a cheaper point when the device slows down, and stays within 15 % while it learns', async () => {
    const device = simulatedDevice(11);
    const results = await runMany(latency, 20, device, 0.9, (index) => index === 8 && device.throttle(1.6));
    for (const result of results) expect(result.cost).toBeLessThanOrEqual(2 * 1.15);
    expect(results.slice(0, 8).every((result) => result.label === 'student-m int8')).toBe(true);
    expect(results.slice(-5).every((result) => result.label === 'student-s fp32' && result.cost <= 2)).toBe(true);
  });

  it('turns an energy target into a latency cap with the power measured over recent runs', async () => {
    const controller = new EnergyController();
    const device = simulatedDevice(3);
    const settings = { ...OFF, enabled: true, energyJPerToken: 0.02 };
    const first = await controller.decide(settings, 'text', 0.9, false, device.predict, PRECISIONS);
    expect(first!.knobs).toEqual({ lambda: 0.9 });
    expect(first!.decision.reasons.join(' ')).toMatch(/no power measured yet/);
    controller.recordPower('text', 10);
    const second = await controller.decide(settings, 'text', 0.9, false, device.predict, PRECISIONS);
    // 0.02 J/token at 10 W is 2 ms/token.
    expect(second!.decision.reasons.join(' ')).toMatch(/energy target 0\.02 J\/token at 10\.0 W measured = 2\.00 ms\/token: held at student-m int8/);
  });

  it('shifts λ toward efficiency on battery and says so', async () => {
    const decided = await new EnergyController().decide({ ...OFF, enabled: true, batteryLambdaShift: 0.3 }, 'text', 0.7, true, async ({ lambda }) => ({ cost: 1, quality: 0, label: lambda < 0.5 ? 'student-s int8' : 'teacher fp32' }));
    expect(decided).toEqual({
      knobs: { lambda: 0.4 },
      decision: { lambdaFrom: 0.7, lambdaTo: 0.4, reasons: ['on battery: λ moves 0.30 toward efficiency'], summary: 'on battery: λ 0.70 → 0.40, student-s int8' },
    });
  });

  it('says when a target is out of reach and runs the cheapest point; does nothing when off', async () => {
    const device = simulatedDevice(5);
    const decided = await new EnergyController().decide({ ...latency, latencyMsPerToken: 0.1 }, 'text', 0.9, false, device.predict, PRECISIONS);
    expect(decided!.decision.summary).toMatch(/^latency target out of reach: λ 0\.90 → 0\.\d\d, student-s int8$/);
    expect(decided!.decision.reasons[0]).toMatch(/cannot be met: the cheapest point, student-s int8, costs 0\.\d+ ms\/token here/);
    expect(await new EnergyController().decide(OFF, 'text', 0.9, true, device.predict)).toBeNull();
  });

  it('holds image budgets in s/image and J/image', async () => {
    const controller = new EnergyController();
    controller.recordPower('image', 20);
    const steps = [
      { label: 'emoji-teacher fp32 50 steps', frechet: 9.8, cost: 1.2 },
      { label: 'emoji-student int8 8 steps', frechet: 10.4, cost: 0.3 },
      { label: 'emoji-student int8 4 steps', frechet: 10.8, cost: 0.1 },
    ];
    const predict: PredictCost = async ({ lambda }) => {
      const point = lambda > 0.8 ? steps[0]! : lambda > 0.4 ? steps[1]! : steps[2]!;
      return { cost: point.cost, quality: -point.frechet, label: point.label };
    };
    // 5 J per image at 20 W measured is 0.25 s/image: the 8-step student's 0.3 s is over it.
    const decided = await controller.decide({ ...OFF, enabled: true, energyJPerImage: 5 }, 'image', 0.9, false, predict);
    expect(decided!.decision.summary).toBe('energy target: λ 0.90 → 0.40, emoji-student int8 4 steps');
    expect(decided!.decision.reasons).toEqual(['energy target 5.00 J/image at 20.0 W measured = 0.25 s/image: held at emoji-student int8 4 steps, 0.10 s/image measured here']);
  });
});
