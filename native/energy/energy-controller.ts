import type { BudgetDecision, EnergyControllerSettings } from '../contract';

export type BudgetKind = 'text' | 'image';

/** What the controller may set before planning: λ, and a precision λ then chooses within. */
export interface BudgetKnobs {
  lambda: number;
  precision?: string;
}

/** What λ (and the knobs) would pick, and what that point costs here (ms/token or s/image, as measured on this device). */
export interface PlannedCost {
  cost: number;
  /** Higher is better, comparable across plans (−bits/byte, −Fréchet distance). */
  quality: number;
  /** The point, as a user reads it: "student-s int8". */
  label: string;
}
export type PredictCost = (knobs: BudgetKnobs) => Promise<PlannedCost | null>;

const LAMBDA_STEP = 0.05;
/** Weight of the newest run in the measured power: recent runs count most. */
const NEWEST_POWER_WEIGHT = 0.3;

const UNITS = {
  text: { latency: 'ms/token', energy: 'J/token', perSecond: 1000 },
  image: { latency: 's/image', energy: 'J/image', perSecond: 1 },
} as const;

const fixed = (value: number) => value.toFixed(2);
const costText = (value: number) => (value >= 10 ? value.toFixed(1) : value >= 0.1 ? value.toFixed(2) : String(Number(value.toPrecision(3))));

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
 * runs) keep the best-quality plan whose measured cost fits under the cap, searching λ downward and,
 * since a linear utility reaches only the front's convex hull, λ within each precision too. The planner
 * stays the one that turns λ into a point: the controller only chooses what it is asked with.
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
  async decide(
    settings: EnergyControllerSettings,
    kind: BudgetKind,
    lambda: number,
    onBattery: boolean | null,
    predict: PredictCost,
    precisions: readonly string[] = [],
  ): Promise<{ knobs: BudgetKnobs; decision: BudgetDecision } | null> {
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
    if (energy !== null && watts !== null) {
      const cap = (energy / watts) * units.perSecond;
      caps.push({ cap, says: `energy target ${costText(energy)} ${units.energy} at ${watts.toFixed(1)} W measured = ${costText(cap)} ${units.latency}` });
    }

    let knobs: BudgetKnobs = { lambda: start };
    let planned = await predict(knobs);
    if (planned === null) return null;
    if (caps.length) {
      const tightest = caps.reduce((a, b) => (b.cap < a.cap ? b : a));
      const rule = tightest.says.split(' ').slice(0, 2).join(' ');
      const plans = await this.plans(start, precisions, predict);
      const fit = plans.filter((plan) => plan.planned.cost <= tightest.cap).reduce<(typeof plans)[number] | null>((best, plan) => (!best || plan.planned.quality > best.planned.quality ? plan : best), null);
      if (fit) {
        ({ knobs, planned } = fit);
        const moved = knobs.lambda !== start || knobs.precision !== undefined;
        reasons.push(`${tightest.says}: ${moved ? 'held' : 'met'} at ${planned.label}, ${costText(planned.cost)} ${units.latency} measured here`);
        if (moved) labels.push(rule);
      } else {
        ({ knobs, planned } = plans.reduce((cheapest, plan) => (plan.planned.cost < cheapest.planned.cost ? plan : cheapest)));
        reasons.push(`${tightest.says} cannot be met: the cheapest point, ${planned.label}, costs ${costText(planned.cost)} ${units.latency} here`);
        labels.push(`${rule} out of reach`);
      }
    }
    const change = knobs.lambda === lambda ? `λ ${fixed(lambda)} kept` : `λ ${fixed(lambda)} → ${fixed(knobs.lambda)}`;
    const summary = `${labels.length ? `${labels.join(', ')}: ` : 'within budget: '}${change}, ${planned.label}`;
    if (reasons.length === 0) reasons.push('no budget rule applies to this run');
    return { knobs, decision: { lambdaFrom: lambda, lambdaTo: knobs.lambda, reasons, summary } };
  }

  /** Every plan the controller may choose: λ from `start` down, free and within each precision; λ first, so ties keep the smaller change. */
  private async plans(start: number, precisions: readonly string[], predict: PredictCost): Promise<{ knobs: BudgetKnobs; planned: PlannedCost }[]> {
    const plans = [];
    for (const precision of [undefined, ...precisions]) {
      for (const lambda of lambdasDown(start)) {
        const knobs = precision === undefined ? { lambda } : { lambda, precision };
        const planned = await predict(knobs);
        if (planned) plans.push({ knobs, planned });
      }
    }
    return plans;
  }
}
