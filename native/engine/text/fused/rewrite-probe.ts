// The probe a rewrite passes before it is used: the export's logits over a short prompt and two cached steps,
// recorded first so that the export's session can be let go before the rewrite is built and opened.
import { readGraphSummary } from '../../onnx/graph-summary';
import { argmax } from '../argmax';
import type { DecoderStep } from '../decoder-step';

/**
 * How far fused logits may stray from the export's, relative to the logits' scale. float32 graphs agree
 * to ~1e-6; int8 ones (activations quantised per block) to about one quantisation step, ~1e-2. A graph
 * that computes another model misses by far more than that.
 */
const PROBE_TOLERANCE = 2e-2;

/**
 * Graphs whose products quantise their activations (int8, and int4 at accuracy level 4) round a few inputs the
 * other way wherever the fused kernels' float results differ in the last bit, and on a deep model those steps
 * add up past PROBE_TOLERANCE in single logits (4–6 % on 30 random-weight layers); the two distributions still
 * point the same way. Float graphs get no such allowance, so a wrong rotary table cannot hide in it.
 */
const QUANTISED_PROBE_MIN_COSINE = 0.995;

/** Whether a graph's weight products quantise their activations: int8 weights (DequantizeLinear, which onnxruntime fuses into MatMulNBits) or MatMulNBits. */
function quantisesActivations(file: string): boolean {
  return readGraphSummary(file).nodes.some((n) => n.op_type === 'DequantizeLinear' || n.op_type === 'MatMulNBits');
}

function cosine(a: Float32Array, b: Float32Array): number {
  let [dot, normA, normB] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    normA += a[i]! * a[i]!;
    normB += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(normA * normB);
}

/** The export's logits at each step of the probe, with the ids each step fed: what a rewrite must reproduce. */
export interface ProbeTrace {
  steps: { ids: number[]; logits: Float32Array }[];
  /** Whether the export's products quantise their activations (see QUANTISED_PROBE_MIN_COSINE). */
  quantised: boolean;
}

/** Runs a short prompt and two cached steps through the export, each step feeding the token the last one chose. */
export async function recordProbe(reference: DecoderStep, file: string, vocabSize: number, firstId: number): Promise<ProbeTrace> {
  let ids = [firstId, ...Array.from({ length: 7 }, (_, i) => (i * 7919 + 13) % vocabSize)];
  let cache = reference.emptyCache();
  const steps: ProbeTrace['steps'] = [];
  for (let step = 0; step < 3; step++) {
    const result = await reference.forward(ids, cache);
    steps.push({ ids, logits: result.logits.slice() });
    [cache, ids] = [result.cache, [argmax(result.logits)]];
  }
  return { steps, quantised: quantisesActivations(file) };
}

/** Runs the probe's steps through a rewrite; says how its logits differ from the export's, or null. */
export async function probeDisagreement(trace: ProbeTrace, candidate: DecoderStep): Promise<string | null> {
  let cache = candidate.emptyCache();
  for (const [step, { ids, logits: expected }] of trace.steps.entries()) {
    const { logits: actual, cache: next } = await candidate.forward(ids, cache);
    let scale = 1;
    let worst = 0;
    for (let i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]!));
      worst = Math.max(worst, Math.abs(expected[i]! - actual[i]!));
    }
    const close = worst <= PROBE_TOLERANCE * scale || (trace.quantised && cosine(expected, actual) >= QUANTISED_PROBE_MIN_COSINE);
    if (!close || argmax(expected) !== argmax(actual)) {
      return `the fused graph's logits differ from the export's by ${worst.toPrecision(3)} at probe step ${step}`;
    }
    cache = next;
  }
  return null;
}
