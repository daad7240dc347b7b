import type { CSSProperties } from 'react';
import { describeUtility, formatLambda, formatOperatingPoint, lambdaWord, type OperatingPoint } from '../format';

interface Props {
  lambda: number;
  onChange: (lambda: number) => void;
  /** The family λ chooses within; null when λ does not apply to the chosen model. */
  family: string | null;
  /** Why the slider is off, in one line; null when λ applies. */
  disabledReason: string | null;
  /** What λ selected for the run shown, once it started. */
  selected: OperatingPoint | null;
  /** True while the host is picking (and on first use, calibrating) a point for a new run. */
  choosing: boolean;
  /** Set when saving the slider's position failed. */
  saveError: string | null;
}

/** The hero control: one slider from most efficient (λ 0) to best quality (λ 1), and what it selected. */
export function TradeoffSlider({ lambda, onChange, family, disabledReason, selected, choosing, saveError }: Props) {
  const disabled = disabledReason !== null;
  const fill = { '--fill': `${lambda * 100}%` } as CSSProperties;
  return (
    <section className={`tradeoff${disabled ? ' tradeoff-disabled' : ''}`} aria-label="Quality and efficiency">
      <div className="tradeoff-head">
        <label className="tradeoff-title" htmlFor="lambda-slider">
          Quality ↔ efficiency
        </label>
        <span className="tradeoff-scope">{family ? `λ picks model, precision and depth in the ${family} family` : 'λ picks model, precision and depth'}</span>
        <span className="spacer" />
        <output className="tradeoff-value" htmlFor="lambda-slider" data-testid="lambda-value" title={saveError ? `Not saved: ${saveError}` : 'Saved as the default for new generations'}>
          <span className="tradeoff-word">{lambdaWord(lambda)}</span>
          <span className="tradeoff-number">λ {formatLambda(lambda)}</span>
        </output>
      </div>
      <div className="tradeoff-track">
        <span className="tradeoff-end" aria-hidden="true">
          Efficiency
        </span>
        <input
          id="lambda-slider"
          data-testid="lambda-slider"
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
          <span className="tradeoff-reason" data-testid="lambda-disabled-reason">
            {disabledReason}
          </span>
        ) : choosing ? (
          <span className="tradeoff-hint">Choosing an operating point… (the first run of a family measures this device)</span>
        ) : selected ? (
          <>
            <span className="tradeoff-label">{selected.lambda === lambda ? 'Selected' : `Last run (λ ${formatLambda(selected.lambda)})`}</span>
            <span className="tradeoff-point" data-testid="operating-point" title={describeUtility(selected)}>
              {formatOperatingPoint(selected)}
            </span>
          </>
        ) : (
          <span className="tradeoff-hint">Generate to see which model, precision and depth λ selects and what it costs per token.</span>
        )}
      </p>
    </section>
  );
}
