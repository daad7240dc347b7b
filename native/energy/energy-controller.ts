import type { BudgetDecision, EnergyControllerSettings } from '../contract';

export type BudgetKind = 'text' | 'image';

/** What λ would pick, and what that point costs here (ms/token or s/image, as measured on this device). */
export interface PlannedCost {
  cost: number;
  /** The point, as a user reads it: "student-s int8". */
  label: string;
}
export type PredictCost = (lambda: number) => Promise<PlannedCost | null>;

const LAMBDA_STEP = 0.05;
/** Weight of the newest run in the measured power: recent runs count most. */
const NEWEST_POWER_WEIGHT = 0.3;

const UNITS = {
  text: { latency: 'ms/token', energy: 'J/token', perSecond: 1000 },
  image: { latency: 's/image', energy: 'J/image', perSecond: 1 },
} as const;

const fixed = (value: number) => value.toFixed(2);
const costText = (value: number) => (value >= 10 ? value.toFixed(1) : value >= 0.1 ? value.toFixed(2) : value.toFixed(3));

/** λ values from `from` down to 0, in the slider's steps, `from` itself first. */
function lambdasDown(from: number): number[] {
  const values = [from];
  for (let lambda = Math.floor(from / LAMBDA_STEP - 1e-9) * LAMBDA_STEP; lambda > -1e-9; lambda -= LAMBDA_STEP) values.push(Math.max(0, Number(lambda.toFixed(4))));
  return values;
}

/**
 * The energy-aware trade-off controller (SPEC §3): before each run it moves λ to hold the user's
 * budget, from what this device measured. On battery λ shifts toward efficiency by a set amount; a
 * latency target and an energy target (turned into a latency cap by the power measured over recent
 * runs) keep the highest λ whose planned point costs no more than the cap. The planner stays the one
 * that turns λ into a point: the controller only chooses the λ it is asked with.
 */
export class EnergyController {
  private readonly watts: Record<BudgetKind, number | null> = { text: null, image: null };

  /** Learns the mean power of a finished run, for the energy target. */
  recordPower(kind: BudgetKind, meanWatts: number | null): void {
    if (meanWatts === null || !(meanWatts > 0)) return;
    const previous = this.watts[kind];
    this.watts[kind] = previous === null ? meanWatts : previous * (1 - NEWEST_POWER_WEIGHT) + meanWatts * NEWEST_POWER_WEIGHT;
  }

  measuredWatts(kind: BudgetKind): number | null {
    return this.watts[kind];
  }

  /** The λ to run with, and what was changed and why; null when the controller is off. */
  async decide(settings: EnergyControllerSettings, kind: BudgetKind, lambda: number, onBattery: boolean | null, predict: PredictCost): Promise<{ lambda: number; decision: BudgetDecision } | null> {
    if (!settings.enabled) return null;
    const units = UNITS[kind];
    const reasons: string[] = [];
    const labels: string[] = [];
    let start = lambda;
    if (onBattery && settings.batteryLambdaShift > 0) {
      start = Math.max(0, Number((lambda - settings.batteryLambdaShift).toFixed(4)));
      reasons.push(`on battery: λ moves ${fixed(settings.batteryLambdaShift)} toward efficiency`);
      labels.push('on battery');
    }

    const caps: { cap: number; says: string }[] = [];
    const latency = kind === 'text' ? settings.latencyMsPerToken : settings.latencySPerImage;
    if (latency !== null) caps.push({ cap: latency, says: `latency target ${costText(latency)} ${units.latency}` });
    const energy = kind === 'text' ? settings.energyJPerToken : settings.energyJPerImage;
    const watts = this.watts[kind];
    if (energy !== null && watts === null) reasons.push(`energy target ${costText(energy)} ${units.energy}: no power measured yet for ${kind} runs, so it applies from the next run`);
    if (energy !== null && watts !== null) caps.push({ cap: (energy / watts) * units.perSecond, says: `energy target ${costText(energy)} ${units.energy} at ${watts.toFixed(1)} W measured` });

    let chosen = start;
    let planned = await predict(start);
    if (planned === null) return null;
    if (caps.length) {
      const tightest = caps.reduce((a, b) => (b.cap < a.cap ? b : a));
      const fit = await this.highestWithin(start, tightest.cap, predict);
      if (fit) {
        ({ lambda: chosen, planned } = fit);
        const held = chosen === start ? 'met' : 'held';
        reasons.push(`${tightest.says} (${costText(tightest.cap)} ${units.latency}): ${held} at ${planned.label}, ${costText(planned.cost)} ${units.latency} measured here`);
        if (chosen !== start) labels.push(tightest.says.split(' ').slice(0, 2).join(' '));
      } else {
        chosen = 0;
        planned = (await predict(0)) ?? planned;
        reasons.push(`${tightest.says} (${costText(tightest.cap)} ${units.latency}) cannot be met: the cheapest point, ${planned.label}, costs ${costText(planned.cost)} ${units.latency} here`);
        labels.push(`${tightest.says.split(' ').slice(0, 2).join(' ')} out of reach`);
      }
    }
    const change = chosen === lambda ? `λ ${fixed(lambda)} kept` : `λ ${fixed(lambda)} → ${fixed(chosen)}`;
    const summary = `${labels.length ? `${labels.join(', ')}: ` : 'within budget: '}${change}, ${planned.label}`;
    if (reasons.length === 0) reasons.push('no budget rule applies to this run');
    return { lambda: chosen, decision: { lambdaFrom: lambda, lambdaTo: chosen, reasons, summary } };
  }

  private async highestWithin(start: number, cap: number, predict: PredictCost): Promise<{ lambda: number; planned: PlannedCost } | null> {
    for (const lambda of lambdasDown(start)) {
      const planned = await predict(lambda);
      if (planned && planned.cost <= cap) return { lambda, planned };
    }
    return null;
  }
}
