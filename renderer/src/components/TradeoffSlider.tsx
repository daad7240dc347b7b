import type { CSSProperties } from 'react';
import type { ExecutionProvider, LambdaPreset } from '../../../native/contract';
import { describeUtility, formatLambda, lambdaWord, type UtilityTerms } from '../format';
import { activePreset, comparePrediction, type CostUnit } from '../lambda/planText';
import { PreviewLines, useLambdaPreview } from './LambdaPreview';
import { ParetoScatter } from './ParetoScatter';

/** A finished λ run: what was predicted for it and what the profiler then measured. */
export interface RunCheck {
  predicted: { median: number; low: number; high: number } | null;
  measured: number | null;
  unit: CostUnit;
}

interface Props<P extends UtilityTerms> {
  /** Which bundled family the slider chooses in. */
  kind: 'text' | 'image';
  /** Prefixes the control's id and test ids, so the Generate and Images sliders can share a page: "" → lambda-slider, "image-" → image-lambda-slider. */
  idPrefix?: string;
  lambda: number;
  onChange: (lambda: number) => void;
  /** Named positions (Settings' presets). */
  presets: readonly LambdaPreset[];
  /** The family λ chooses within; null when λ does not apply to the chosen model. */
  family: string | null;
  /** The knobs λ sets, in words: "model, precision and depth". */
  knobs: string;
  /** Why the slider is off, in one line; null when λ applies. */
  disabledReason: string | null;
  /** Knobs fixed by hand under Auto: the preview narrows to them as the run will. */
  fixed: { precision?: string; depth?: number; steps?: number };
  ep: ExecutionProvider;
  /** What λ selected for the run shown, once it started. */
  selected: P | null;
  /** The selected point's predicted and measured cost, once the run is done. */
  check: RunCheck | null;
  /** The selected point in one line, with its predicted quality and cost. */
  formatPoint: (point: P) => string;
  /** The tooltip of the selected point; the utility terms by default. */
  describePoint?: (point: P) => string;
  /** True while the host is picking (and, for a family not measured here, calibrating) a point for a new run. */
  choosing: boolean;
  /** Set when saving the slider's position failed. */
  saveError: string | null;
}

function presetTestId(idPrefix: string, preset: LambdaPreset): string {
  return `${idPrefix}preset-${preset.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

/** The hero control: one slider from most efficient (λ 0) to best quality (λ 1), its presets, a live preview of what it will run, and what it ran. */
export function TradeoffSlider<P extends UtilityTerms>({ kind, idPrefix = '', lambda, onChange, presets, family, knobs, disabledReason, fixed, ep, selected, check, formatPoint, describePoint = describeUtility, choosing, saveError }: Props<P>) {
  const disabled = disabledReason !== null;
  const fill = { '--fill': `${lambda * 100}%` } as CSSProperties;
  const sliderId = `${idPrefix}lambda-slider`;
  const preset = disabled ? null : activePreset(presets, lambda);
  const live = useLambdaPreview({ kind, lambda, fixed, ep, enabled: !disabled });
  const verdict = check?.predicted && check.measured !== null ? comparePrediction(check.predicted, check.measured, check.unit) : null;
  return (
    <section className={`tradeoff${disabled ? ' tradeoff-disabled' : ''}`} aria-label="Quality and efficiency">
      <div className="tradeoff-main">
        <div className="tradeoff-head">
          <label className="tradeoff-title" htmlFor={sliderId}>
            Quality ↔ efficiency
          </label>
          <span className="tradeoff-scope">{disabled ? 'λ is off: the model runs as picked' : family ? `λ picks ${knobs} in the ${family} family` : `λ picks ${knobs}`}</span>
          <span className="spacer" />
          <output className="tradeoff-value" htmlFor={sliderId} data-testid={`${idPrefix}lambda-value`} title={saveError ? `Not saved: ${saveError}` : 'Saved as the default for new generations'}>
            {!disabled && <span className="tradeoff-word">{preset?.name ?? lambdaWord(lambda)}</span>}
            <span className="tradeoff-number">{disabled ? 'λ off' : `λ ${formatLambda(lambda)}`}</span>
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
            aria-valuetext={`λ ${formatLambda(lambda)}, ${(preset?.name ?? lambdaWord(lambda)).toLowerCase()}`}
            title="0 = most efficient, 1 = best quality"
            onChange={(event) => onChange(Number(event.target.value))}
          />
          <span className="tradeoff-end" aria-hidden="true">
            Quality
          </span>
        </div>
        <div className="tradeoff-presets" role="group" aria-label="λ presets">
          {presets.map((entry) => (
            <button
              key={entry.name}
              type="button"
              className={`preset-chip${preset?.name === entry.name ? ' preset-chip-active' : ''}`}
              data-testid={presetTestId(idPrefix, entry)}
              aria-pressed={preset?.name === entry.name}
              disabled={disabled}
              title={`Set λ to ${formatLambda(entry.lambda)}`}
              onClick={() => onChange(entry.lambda)}
            >
              {entry.name} <span className="preset-lambda">{formatLambda(entry.lambda)}</span>
            </button>
          ))}
        </div>
        {disabled ? (
          <p className="tradeoff-result" role="status">
            <span className="tradeoff-reason" data-testid={`${idPrefix}lambda-disabled-reason`}>
              {disabledReason}
            </span>
          </p>
        ) : (
          <PreviewLines idPrefix={idPrefix} live={live} choosing={choosing} />
        )}
        {selected && (
          <p className="tradeoff-result">
            <span className="tradeoff-label">{`Last run · λ ${formatLambda(selected.lambda)}`}</span>
            <span className="tradeoff-point" data-testid={`${idPrefix}operating-point`} title={describePoint(selected)}>
              {formatPoint(selected)}
            </span>
          </p>
        )}
        {selected && verdict && (
          <p className={`tradeoff-check${verdict.within ? '' : ' tradeoff-check-off'}`} data-testid={`${idPrefix}prediction-check`} data-within={verdict.within}>
            {verdict.text}
          </p>
        )}
      </div>
      {live.preview && <ParetoScatter preview={live.preview} testId={`${idPrefix}pareto-scatter`} />}
    </section>
  );
}
