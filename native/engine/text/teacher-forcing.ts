import { halfArrayToFloat } from '../onnx/float16';
import type { DecoderSession } from './decoder-session';

/**
 * Logits at every position of `ids` in one forward pass (row i predicts token i + 1), for
 * quality measures: top-1 agreement between variants, bits per byte on held-out text.
 */
export async function teacherForcedLogits(decoder: DecoderSession, ids: readonly number[]): Promise<Float32Array[]> {
  const { outputs } = await decoder.run(decoder.tokenFeeds(ids, 0), decoder.emptyCache(), ids.length);
  const logits = outputs.logits!;
  const vocab = Number(logits.dims.at(-1));
  const data = logits.type === 'float16' ? halfArrayToFloat(logits.data as Uint16Array) : (logits.data as Float32Array);
  return Array.from({ length: ids.length }, (_, i) => data.subarray(i * vocab, (i + 1) * vocab));
}

/** log Σ exp(logits), computed stably: log-softmax(logits)[i] = logits[i] − this. */
export function logNormalizer(logits: Float32Array): number {
  let max = -Infinity;
  for (const value of logits) if (value > max) max = value;
  let total = 0;
  for (const value of logits) total += Math.exp(value - max);
  return max + Math.log(total);
}

/** Negative log-likelihood (nats) of `target` under softmax(logits). */
export function negativeLogLikelihood(logits: Float32Array, target: number): number {
  return logNormalizer(logits) - logits[target]!;
}
