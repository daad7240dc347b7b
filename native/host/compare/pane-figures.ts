import { COMPARE_LOWER_IS_BETTER, COMPARE_MEASURES, isEstimatedSource, type CompareFigures, type CompareMeasure, type ComparePane, type ImageResult, type TextResult } from '../../contract';

/** A text pane's figures: its run's cost and the bits/byte its package declares for the point that ran. */
export function textFigures(result: TextResult, bitsPerByte: number | null): CompareFigures {
  const { metrics } = result;
  return {
    ttftMs: metrics.ttftMs,
    msPerToken: metrics.msPerToken,
    tokensPerSecond: metrics.tokensPerSecond,
    msPerStep: null,
    sPerImage: null,
    peakRssMb: metrics.peakRssMb,
    energyJ: metrics.energyJ,
    joulesPerOutput: metrics.joulesPerOutput,
    energySource: metrics.energySource,
    energyEstimated: isEstimatedSource(metrics.energySource),
    bitsPerByte,
    frechetDistance: null,
    outputs: metrics.generatedTokens,
  };
}

/** An image pane's figures: its run's cost and the Fréchet distance its package declares for the point that ran. */
export function imageFigures(result: ImageResult, frechetDistance: number | null): CompareFigures {
  const { metrics } = result;
  return {
    ttftMs: null,
    msPerToken: null,
    tokensPerSecond: null,
    msPerStep: metrics.msPerStep,
    sPerImage: metrics.sPerImage,
    peakRssMb: metrics.peakRssMb,
    energyJ: metrics.energyJ,
    joulesPerOutput: metrics.joulesPerOutput,
    energySource: metrics.energySource,
    energyEstimated: isEstimatedSource(metrics.energySource),
    bitsPerByte: null,
    frechetDistance,
    outputs: 1,
  };
}

/**
 * Marks, per measure, the finished panes with the best value (ties share it). A measure is only
 * marked where at least two finished panes have it, so there is something to be best against.
 */
export function markBest(panes: readonly ComparePane[]): ComparePane[] {
  const best = new Map<number, CompareMeasure[]>(panes.map((pane) => [pane.index, []]));
  for (const measure of COMPARE_MEASURES) {
    const valued = panes.flatMap((pane) => {
      const value = pane.status === 'done' ? pane.figures?.[measure] : null;
      return value === null || value === undefined ? [] : [{ index: pane.index, value }];
    });
    if (valued.length < 2) continue;
    const sign = COMPARE_LOWER_IS_BETTER[measure] ? 1 : -1;
    const top = Math.min(...valued.map(({ value }) => sign * value));
    for (const { index, value } of valued) if (sign * value === top) best.get(index)!.push(measure);
  }
  return panes.map((pane) => ({ ...pane, best: best.get(pane.index)! }));
}
