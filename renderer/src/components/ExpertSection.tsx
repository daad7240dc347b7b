import { useState } from 'react';
import { formatLayers } from '../format';
import { countOverrides, windowPatch, type GenerationForm, type WindowMode } from '../generate/generationForm';
import { KNOWN_PRECISIONS } from '../generate/modelChoice';
import { ChevronIcon } from './icons';

interface Props {
  form: GenerationForm;
  onChange: (patch: Partial<GenerationForm>) => void;
  /** Precisions and depths the chosen model (or λ's family) can run. */
  knobs: { variants: string[]; depths: number[] };
  /** True when λ picks the operating point, so a blank knob reads "λ decides". */
  lambdaActive: boolean;
  /** "model" or "family", for the reasons given next to options that cannot run. */
  scope: 'model' | 'family';
}

const WINDOW_MODES: { mode: WindowMode; label: string; title: string }[] = [
  { mode: 'off', label: 'Off', title: 'Keep the whole context in the KV cache' },
  { mode: 'auto', label: 'Auto', title: 'Pick W from the measured cost per cached position on this device' },
  { mode: 'fixed', label: 'Fixed', title: 'Keep the sink positions plus the last W positions' },
];

/** Overrides for one knob at a time; blank leaves it to λ (or the model). Collapsed until asked for. */
export function ExpertSection({ form, onChange, knobs, lambdaActive, scope }: Props) {
  const [open, setOpen] = useState(false);
  const overrides = countOverrides(form);
  const allVariants = [...KNOWN_PRECISIONS, ...knobs.variants.filter((variant) => !(KNOWN_PRECISIONS as readonly string[]).includes(variant))];
  const unavailable = scope === 'family' ? 'not in this family' : 'not in this model';
  const canSwitch = knobs.variants.length >= 2;
  const variantOptions = allVariants.map((variant) => (
    <option key={variant} value={variant} disabled={!knobs.variants.includes(variant)}>
      {variant}
      {knobs.variants.includes(variant) ? '' : ` — ${unavailable}`}
    </option>
  ));

  return (
    <section className="expert">
      <button type="button" className="expert-toggle" data-testid="expert-toggle" aria-expanded={open} aria-controls="expert-fields" onClick={() => setOpen(!open)}>
        <ChevronIcon className="expert-chevron" />
        <span className="panel-title">Expert</span>
        {overrides > 0 && (
          <span className="expert-count" title="Overrides in force">
            {overrides} set
          </span>
        )}
        <span className="expert-aside">{lambdaActive ? 'override λ' : 'engine knobs'}</span>
      </button>

      {open && (
        <div className="expert-fields" id="expert-fields">
          <div className="field">
            <label className="field-label" htmlFor="precision-select">
              Precision
            </label>
            <select id="precision-select" data-testid="precision-select" value={form.dynamicPrecision ? '' : form.precision} disabled={form.dynamicPrecision} onChange={(event) => onChange({ precision: event.target.value })}>
              <option value="">{lambdaActive ? 'λ decides' : 'Model default'}</option>
              {variantOptions}
            </select>
            {form.dynamicPrecision && <p className="field-hint">Set per token by dynamic precision below.</p>}
          </div>

          <div className="field">
            <label className="field-label" htmlFor="depth-select">
              Depth <span className="field-aside">active layers</span>
            </label>
            <select id="depth-select" data-testid="depth-select" value={form.depth} disabled={knobs.depths.length < 2} onChange={(event) => onChange({ depth: event.target.value })}>
              <option value="">{lambdaActive ? 'λ decides' : 'Full depth'}</option>
              {knobs.depths.map((depth) => (
                <option key={depth} value={String(depth)}>
                  {formatLayers(depth)}
                </option>
              ))}
            </select>
            {knobs.depths.length < 2 && <p className="field-hint">This {scope} has no depth exits.</p>}
          </div>

          <div className="field">
            <span className="field-label" id="window-mode-label">
              Attention window <span className="field-aside">sinks + last W</span>
            </span>
            <div className="segmented segmented-3" role="radiogroup" aria-labelledby="window-mode-label" data-testid="window-mode" data-mode={form.windowMode}>
              {WINDOW_MODES.map(({ mode, label, title }) => (
                <label key={mode} className="segment" title={title}>
                  <input type="radio" name="window-mode" value={mode} checked={form.windowMode === mode} onChange={() => onChange({ windowMode: mode })} />
                  <span>{label}</span>
                </label>
              ))}
            </div>
            <div className="pair-row">
              <label className="pair-field">
                <span className="pair-label">W</span>
                <input
                  data-testid="window-input"
                  type="number"
                  min={1}
                  step={1}
                  placeholder={form.windowMode === 'auto' ? 'auto' : 'positions'}
                  aria-label="Window size W (recent positions kept)"
                  value={form.window}
                  // Typing a size means a fixed window; clearing it turns a fixed window off again.
                  onChange={(event) => onChange(windowPatch(form.windowMode, event.target.value))}
                />
              </label>
              <label className="pair-field">
                <span className="pair-label">Sinks</span>
                <input data-testid="sinks-input" type="number" min={0} max={1024} step={1} placeholder="4" aria-label="Sink positions G (first positions always kept)" value={form.sinks} disabled={form.windowMode === 'off'} onChange={(event) => onChange({ sinks: event.target.value })} />
              </label>
            </div>
          </div>

          <div className="field">
            <label className="switch-row" title={canSwitch ? 'Per token: the cheap variant where the model is confident, the full one where it is not' : `Needs two precision variants; this ${scope} has one`}>
              <input type="checkbox" data-testid="dynamic-precision-toggle" checked={form.dynamicPrecision} disabled={!canSwitch} onChange={(event) => onChange({ dynamicPrecision: event.target.checked })} />
              <span className="field-label">Dynamic precision</span>
            </label>
            {form.dynamicPrecision && (
              <div className="dynamic-grid">
                <label className="pair-field">
                  <span className="pair-label">Cheap</span>
                  <select data-testid="cheap-precision-select" aria-label="Cheap variant" value={form.cheapPrecision} onChange={(event) => onChange({ cheapPrecision: event.target.value })}>
                    <option value="">choose…</option>
                    {variantOptions}
                  </select>
                </label>
                <label className="pair-field">
                  <span className="pair-label">Full</span>
                  <select data-testid="full-precision-select" aria-label="Full variant" value={form.fullPrecision} onChange={(event) => onChange({ fullPrecision: event.target.value })}>
                    <option value="">choose…</option>
                    {variantOptions}
                  </select>
                </label>
                <label className="pair-field pair-field-wide" title="Tokens whose cheap-variant distribution has more entropy than this are recomputed at full precision">
                  <span className="pair-label">Entropy above</span>
                  <input data-testid="entropy-threshold-input" type="number" min={0} max={20} step={0.1} placeholder="1.5" aria-label="Entropy threshold (nats)" value={form.entropyThreshold} onChange={(event) => onChange({ entropyThreshold: event.target.value })} />
                  <span className="pair-unit">nats → full</span>
                </label>
              </div>
            )}
          </div>

          <div className="field">
            <label className="field-label" htmlFor="stop-input">
              Stop strings <span className="field-aside">comma or newline</span>
            </label>
            <textarea id="stop-input" data-testid="stop-input" className="stop-input" rows={2} spellCheck={false} placeholder="The end, Moral:" value={form.stop} onChange={(event) => onChange({ stop: event.target.value })} />
          </div>

          <div className="pair-row">
            <div className="field">
              <label className="field-label" htmlFor="repetition-penalty">
                Repetition penalty
              </label>
              <input id="repetition-penalty" data-testid="repetition-penalty-input" type="number" min={0.05} max={10} step={0.05} placeholder="off" value={form.repetitionPenalty} onChange={(event) => onChange({ repetitionPenalty: event.target.value })} />
            </div>
            <div className="field">
              <label className="field-label" htmlFor="min-p" title={form.mode === 'sample' ? undefined : 'Min-p applies when sampling'}>
                Min-p
              </label>
              <input id="min-p" data-testid="min-p-input" type="number" min={0} max={1} step={0.01} placeholder="off" value={form.minP} disabled={form.mode !== 'sample'} onChange={(event) => onChange({ minP: event.target.value })} />
            </div>
          </div>
        </div>
      )}
    </section>
  );
}
