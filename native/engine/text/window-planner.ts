import { median } from '../../metering/statistics';
import type { DecoderSession } from './decoder-session';

/** The measured cost of one decode step as a function of cached positions: ms ≈ baseMs + msPerPosition · length. */
export interface StepCostModel {
  baseMs: number;
  msPerPosition: number;
}

/** Least-squares line through (cache length, ms) samples. */
export function fitStepCost(samples: readonly { length: number; ms: number }[]): StepCostModel {
  const n = samples.length;
  const meanLength = samples.reduce((sum, s) => sum + s.length, 0) / n;
  const meanMs = samples.reduce((sum, s) => sum + s.ms, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const s of samples) {
    covariance += (s.length - meanLength) * (s.ms - meanMs);
    variance += (s.length - meanLength) ** 2;
  }
  const msPerPosition = variance > 0 ? Math.max(0, covariance / variance) : 0;
  return { baseMs: Math.max(1e-6, meanMs - msPerPosition * meanLength), msPerPosition };
}

export interface WindowPlan {
  /** Share of a step's base cost the attention over cached positions may add. */
  attentionBudget?: number;
  minWindow?: number;
}

/**
 * The latency-aware window: the largest W whose attention cost stays within `attentionBudget` of
 * the rest of the step on this device, so long stories keep a flat ms/token.
 */
export function chooseWindow(cost: StepCostModel, sinks: number, contextLength: number, plan: WindowPlan = {}): number {
  const budget = plan.attentionBudget ?? 0.25;
  const minWindow = Math.min(plan.minWindow ?? 64, contextLength - sinks);
  const affordable = cost.msPerPosition > 0 ? Math.floor((budget * cost.baseMs) / cost.msPerPosition) - sinks : Infinity;
  return Math.max(minWindow, Math.min(contextLength - sinks, affordable));
}

/** Times single-token steps at a short and a long cache on this device. */
export async function measureStepCost(decoder: DecoderSession, contextLength: number, fillerToken: number): Promise<StepCostModel> {
  const lengths = [8, Math.max(16, Math.min(contextLength - 8, 512))];
  const samples: { length: number; ms: number }[] = [];
  for (const length of lengths) {
    let cache = (await decoder.forward(new Array(length).fill(fillerToken), decoder.emptyCache())).cache;
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      cache = (await decoder.forward([fillerToken], cache)).cache;
      times.push(performance.now() - started);
    }
    samples.push({ length: length + 3, ms: median(times) });
  }
  return fitStepCost(samples);
}
