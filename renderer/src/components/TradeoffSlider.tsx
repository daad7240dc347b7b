import type { CSSProperties } from 'react';
import { describeUtility, formatLambda, lambdaWord, type UtilityTerms } from '../format';

interface Props<P extends UtilityTerms> {
  /** Prefixes the control's id and test ids, so the Generate and Images sliders can share a page: "" → lambda-slider, "image-" → image-lambda-slider. */
  idPrefix?: string;
  lambda: number;
  onChange: (lambda: number) => void;
  /** The family λ chooses within; null when λ does not apply to the chosen model. */
  family: string | null;
  /** The knobs λ sets, in words: "model, precision and depth". */
  knobs: string;
  /** Why the slider is off, in one line; null when λ applies. */
  disabledReason: string | null;
  /** What λ selected for the run shown, once it started. */
  selected: P | null;
  /** The selected point in one line, with its predicted quality and cost. */
  formatPoint: (point: P) => string;
  /** The tooltip of the selected point; the utility terms by default. */
  describePoint?: (point: P) => string;
  /** What the result line says before the first run. */
  idleHint: string;
  /** True while the host is picking (and on first use, calibrating) a point for a new run. */
  choosing: boolean;
  /** Set when saving the slider's position failed. */
  saveError: string | null;
}

/** The hero control: one slider from most efficient (λ 0) to best quality (λ 1), and what it selected. */
export function TradeoffSlider<P extends UtilityTerms>({ idPrefix = '', lambda, onChange, family, knobs, disabledReason, selected, formatPoint, describePoint = describeUtility, idleHint, choosing, saveError }: Props<P>) {
  const disabled = disabledReason !== null;
  const fill = { '--fill': `${lambda * 100}%` } as CSSProperties;
  const sliderId = `${idPrefix}lambda-slider`;
  return (
    <section className={`tradeoff${disabled ? ' tradeoff-disabled' : ''}`} aria-label="Quality and efficiency">
      <div className="tradeoff-head">
        <label className="tradeoff-title" htmlFor={sliderId}>
          Quality ↔ efficiency
        </label>
        <span className="tradeoff-scope">{family ? `λ picks ${knobs} in the ${family} family` : `λ picks ${knobs}`}</span>
        <span className="spacer" />
        <output className="tradeoff-value" htmlFor={sliderId} data-testid={`${idPrefix}lambda-value`} title={saveError ? `Not saved: ${saveError}` : 'Saved as the default for new generations'}>
          <span className="tradeoff-word">{lambdaWord(lambda)}</span>
          <span className="tradeoff-number">λ {formatLambda(lambda)}</span>
        </output>
      </div>
      <div className="tradeoff-track">
        <span className="tradeoff-end" aria-hidden="true">
          Efficiency
        </span>
        <input
          id={sliderId}
          data-testid={sliderId}
          className="lambda-range"
          type="range"
          min={0}
          max={1}
          step={0.05}
          value={lambda}
          style={fill}
          disabled={disabled}
          aria-valuetext={`λ ${formatLambda(lambda)}, ${lambdaWord(lambda).toLowerCase()}`}
          title="0 = most efficient, 1 = best quality"
          onChange={(event) => onChange(Number(event.target.value))}
        />
        <span className="tradeoff-end" aria-hidden="true">
          Quality
        </span>
      </div>
      <p className="tradeoff-result" role="status">
        {disabled ? (
          <span className="tradeoff-reason" data-testid={`${idPrefix}lambda-disabled-reason`}>
            {disabledReason}
          </span>
        ) : choosing ? (
          <span className="tradeoff-hint">Choosing an operating point… (the first run of a family measures this device)</span>
        ) : selected ? (
          <>
            <span className="tradeoff-label">{selected.lambda === lambda ? 'Selected' : `Last run (λ ${formatLambda(selected.lambda)})`}</span>
            <span className="tradeoff-point" data-testid={`${idPrefix}operating-point`} title={describePoint(selected)}>
              {formatPoint(selected)}
            </span>
          </>
        ) : (
          <span className="tradeoff-hint">{idleHint}</span>
        )}
      </p>
    </section>
  );
}
