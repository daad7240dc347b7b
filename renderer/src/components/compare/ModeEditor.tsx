import type { ModelInfo } from '../../../../native/contract';
import { canAddMode, canRemoveMode, pointDraft, type CompareForm, type ModeDraft } from '../../compare/compareForm';
import { formatLambda, formatLayers } from '../../format';

interface Props {
  form: CompareForm;
  models: readonly ModelInfo[];
  onChange: (modes: ModeDraft[]) => void;
  disabled: boolean;
}

function ModeRow({ index, draft, kind, models, onChange, onRemove, canRemove, disabled }: { index: number; draft: ModeDraft; kind: CompareForm['kind']; models: readonly ModelInfo[]; onChange: (draft: ModeDraft) => void; onRemove: () => void; canRemove: boolean; disabled: boolean }) {
  const id = `compare-mode-${index}`;
  const model = draft.type === 'point' ? models.find((m) => m.id === draft.model) : undefined;
  return (
    <li className="mode-row" data-testid="compare-mode">
      <span className="mode-number" aria-hidden="true">
        {index + 1}
      </span>
      <label className="visually-hidden" htmlFor={`${id}-type`}>
        Mode {index + 1} kind
      </label>
      <select id={`${id}-type`} className="mode-type" value={draft.type} disabled={disabled} data-testid="compare-mode-type" onChange={(event) => onChange(event.target.value === 'lambda' ? { type: 'lambda', lambda: 0.5 } : pointDraft(models))}>
        <option value="lambda">λ value</option>
        <option value="point">By hand</option>
      </select>
      {draft.type === 'lambda' ? (
        <span className="mode-knobs">
          <label className="visually-hidden" htmlFor={`${id}-lambda`}>
            Mode {index + 1} λ
          </label>
          <input id={`${id}-lambda`} type="range" className="lambda-range" min={0} max={1} step={0.05} value={draft.lambda} disabled={disabled} data-testid="compare-mode-lambda" onChange={(event) => onChange({ type: 'lambda', lambda: Number(event.target.value) })} />
          <output className="mode-lambda" htmlFor={`${id}-lambda`}>
            λ {formatLambda(draft.lambda)}
          </output>
        </span>
      ) : (
        <span className="mode-knobs">
          <label className="visually-hidden" htmlFor={`${id}-model`}>
            Mode {index + 1} model
          </label>
          <select id={`${id}-model`} value={draft.model} disabled={disabled} data-testid="compare-mode-model" onChange={(event) => onChange({ ...pointDraft(models), model: event.target.value })}>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name}
                {m.role ? ` (${m.role})` : ''}
              </option>
            ))}
          </select>
          <label className="visually-hidden" htmlFor={`${id}-precision`}>
            Mode {index + 1} precision
          </label>
          <select id={`${id}-precision`} value={draft.precision} disabled={disabled} data-testid="compare-mode-precision" onChange={(event) => onChange({ ...draft, precision: event.target.value })}>
            <option value="">Default precision</option>
            {model?.variants.map((variant) => (
              <option key={variant} value={variant}>
                {variant}
              </option>
            ))}
          </select>
          <label className="visually-hidden" htmlFor={`${id}-knob`}>
            Mode {index + 1} {kind === 'text' ? 'depth' : 'steps'}
          </label>
          {kind === 'text' ? (
            <select id={`${id}-knob`} value={draft.knob} disabled={disabled} data-testid="compare-mode-knob" onChange={(event) => onChange({ ...draft, knob: event.target.value })}>
              <option value="">Full depth</option>
              {model?.depths.map((depth) => (
                <option key={depth} value={String(depth)}>
                  {formatLayers(depth)}
                </option>
              ))}
            </select>
          ) : (
            <input id={`${id}-knob`} type="number" min={1} max={1000} placeholder={`Steps (${model?.image?.steps ?? 'default'})`} value={draft.knob} disabled={disabled} data-testid="compare-mode-knob" onChange={(event) => onChange({ ...draft, knob: event.target.value })} />
          )}
          {kind === 'text' && (
            <>
              <label className="visually-hidden" htmlFor={`${id}-window`}>
                Mode {index + 1} attention window (positions kept; blank keeps the whole context)
              </label>
              <input id={`${id}-window`} type="number" min={1} placeholder="Window: all" title="Attention window W: keep the last W positions plus 4 sinks; blank keeps the whole context" value={draft.window} disabled={disabled} data-testid="compare-mode-window" onChange={(event) => onChange({ ...draft, window: event.target.value })} />
            </>
          )}
        </span>
      )}
      <button type="button" className="button button-quiet" onClick={onRemove} disabled={disabled || !canRemove} aria-label={`Remove mode ${index + 1}`} title="Remove this mode">
        Remove
      </button>
    </li>
  );
}

/** The 2–4 modes of a comparison: λ values or operating points set by hand. */
export function ModeEditor({ form, models, onChange, disabled }: Props) {
  const update = (index: number, draft: ModeDraft) => onChange(form.modes.map((mode, i) => (i === index ? draft : mode)));
  return (
    <div className="mode-editor">
      <ol className="mode-list" aria-label="Modes to compare">
        {form.modes.map((draft, index) => (
          <ModeRow key={index} index={index} draft={draft} kind={form.kind} models={models} disabled={disabled} canRemove={canRemoveMode(form)} onChange={(next) => update(index, next)} onRemove={() => onChange(form.modes.filter((_, i) => i !== index))} />
        ))}
      </ol>
      <button type="button" className="button button-quiet" disabled={disabled || !canAddMode(form)} onClick={() => onChange([...form.modes, { type: 'lambda', lambda: 0.5 }])} data-testid="compare-add-mode">
        + Add mode
      </button>
    </div>
  );
}
