import type { ProviderInfo } from '../../../native/contract';
import { randomSeed, type GenerationForm, type SamplingMode } from '../generate/generationForm';
import { ExpertSection } from './ExpertSection';
import { DiceIcon } from './icons';
import { ProviderSelect } from './ProviderSelect';

interface Props {
  form: GenerationForm;
  onChange: (patch: Partial<GenerationForm>) => void;
  onReset: () => void;
  providers: ProviderInfo[] | undefined;
  /** Precisions and depths the chosen model (or λ's family) can run. */
  knobs: { variants: string[]; depths: number[] };
  /** True when λ picks the operating point. */
  lambdaActive: boolean;
  /** Whether the knobs span λ's family or one model. */
  scope: 'model' | 'family';
}

const MODES: { mode: SamplingMode; label: string; title: string }[] = [
  { mode: 'greedy', label: 'Greedy', title: 'Always pick the most likely next token (repeatable)' },
  { mode: 'sample', label: 'Sample', title: 'Draw each token at random, shaped by temperature, top-k and top-p' },
];

/** The right-hand panel: how much to generate, how to pick tokens, where to run, and expert overrides. */
export function GenerationSettingsPanel({ form, onChange, onReset, providers, knobs, lambdaActive, scope }: Props) {
  const sampling = form.mode === 'sample';
  return (
    <aside className="settings-panel" aria-label="Generation settings">
      <h2 className="panel-title">Generation</h2>

      <div className="field">
        <label className="field-label" htmlFor="max-new-tokens">
          Max new tokens
        </label>
        <input id="max-new-tokens" data-testid="max-new-tokens-input" type="number" min={1} max={32768} step={1} value={form.maxNewTokens} onChange={(event) => onChange({ maxNewTokens: event.target.value })} />
      </div>

      <div className="field">
        <span className="field-label" id="sampling-mode-label">
          Decoding
        </span>
        <div className="segmented" role="radiogroup" aria-labelledby="sampling-mode-label" data-testid="sampling-mode" data-mode={form.mode}>
          {MODES.map(({ mode, label, title }) => (
            <label key={mode} className="segment" title={title}>
              <input type="radio" name="sampling-mode" value={mode} checked={form.mode === mode} onChange={() => onChange({ mode })} />
              <span>{label}</span>
            </label>
          ))}
        </div>
      </div>

      <fieldset className="sampling-fields" disabled={!sampling}>
        <legend className="visually-hidden">Sampling</legend>
        <SliderField id="temperature" label="Temperature" min={0.05} max={2} step={0.05} value={form.temperature} onChange={(temperature) => onChange({ temperature })} />
        <div className="field">
          <label className="field-label" htmlFor="top-k">
            Top-k <span className="field-aside">0 = off</span>
          </label>
          <input id="top-k" type="number" min={0} step={1} value={form.topK} onChange={(event) => onChange({ topK: event.target.value })} />
        </div>
        <SliderField id="top-p" label="Top-p" min={0.05} max={1} step={0.01} value={form.topP} onChange={(topP) => onChange({ topP })} />
        <div className="field">
          <label className="field-label" htmlFor="seed">
            Seed <span className="field-aside">blank = random</span>
          </label>
          <div className="input-with-button">
            <input id="seed" type="number" min={0} max={4294967295} step={1} placeholder="random" value={form.seed} onChange={(event) => onChange({ seed: event.target.value })} />
            <button type="button" className="icon-button" title="Pick a random seed" aria-label="Pick a random seed" onClick={() => onChange({ seed: String(randomSeed()) })}>
              <DiceIcon />
            </button>
          </div>
        </div>
      </fieldset>

      <h2 className="panel-title">Hardware</h2>
      <div className="field">
        <label className="field-label" htmlFor="ep-select">
          Execution provider
        </label>
        <ProviderSelect id="ep-select" testId="ep-select" value={form.ep} onChange={(ep) => onChange({ ep })} providers={providers} />
      </div>

      <ExpertSection form={form} onChange={onChange} knobs={knobs} lambdaActive={lambdaActive} scope={scope} />

      <button type="button" className="button button-quiet panel-reset" title="Reset these values to the defaults from Settings" onClick={onReset}>
        Reset to defaults
      </button>
    </aside>
  );
}

interface SliderFieldProps {
  id: string;
  label: string;
  min: number;
  max: number;
  step: number;
  value: string;
  onChange: (value: string) => void;
  testId?: string;
  /** Where a blank value is allowed: what blank means ("model default"); the slider then rests dimmed at its minimum. */
  blank?: string;
}

/** A range slider beside a number field for the same value. */
export function SliderField({ id, label, min, max, step, value, onChange, testId, blank }: SliderFieldProps) {
  const unset = value.trim() === '';
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
        {blank && <span className="field-aside">blank = {blank}</span>}
      </label>
      <div className="slider-row">
        <input type="range" className={unset ? 'slider-unset' : undefined} aria-label={`${label} slider`} min={min} max={max} step={step} value={unset ? min : value} onChange={(event) => onChange(event.target.value)} />
        <input id={id} data-testid={testId} type="number" className="slider-number" min={min} max={max} step={step} placeholder={blank ? 'auto' : undefined} value={value} onChange={(event) => onChange(event.target.value)} />
      </div>
    </div>
  );
}
