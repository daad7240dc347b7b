import type { ReactNode } from 'react';
import type { ModelInfo } from '../../../native/contract';
import { formatBytes, formatTokens } from '../format';
import { AUTO_MODEL, type ModelChoice } from '../generate/modelChoice';

interface Props {
  models: ModelInfo[];
  choice: ModelChoice;
  /** The bundled family λ can choose within when no model is named; null hides the Auto option. */
  autoFamily: string | null;
  onChange: (value: string) => void;
  /** Why the list is empty. */
  emptyLabel: string;
  /** The select's id and test id (the Images view has its own). */
  selectId?: string;
  /** What one chosen model offers, as chips; a text model's by default. */
  modelChips?: (model: ModelInfo) => ReactNode;
}

/** Auto (λ over the bundled family) or one model, and what the choice offers. */
export function ModelPicker({ models, choice, autoFamily, onChange, emptyLabel, selectId = 'model-select', modelChips = textModelChips }: Props) {
  const value = choice.kind === 'auto' ? AUTO_MODEL : choice.kind === 'model' ? choice.model.id : '';
  const options = models.map((model) => (
    <option key={model.id} value={model.id}>
      {model.name}
      {model.role ? ` (${model.role})` : ''}
    </option>
  ));
  return (
    <div className="model-picker">
      <label className="field-label" htmlFor={selectId}>
        Model
      </label>
      <select id={selectId} data-testid={selectId} value={value} onChange={(event) => onChange(event.target.value)} disabled={models.length === 0}>
        {models.length === 0 && <option value="">{emptyLabel}</option>}
        {autoFamily && <option value={AUTO_MODEL}>Auto (λ) — {autoFamily} family</option>}
        {autoFamily ? <optgroup label="A specific model">{options}</optgroup> : options}
      </select>
      <div className="model-meta" aria-label="Model details">
        {choice.kind === 'auto' && (
          <>
            <span className="chip" title="λ chooses among these models on every run">
              λ chooses among {choice.members.length} model{choice.members.length === 1 ? '' : 's'}
            </span>
            {choice.members.map((member) => (
              <span key={member.id} className="chip chip-muted" title={`${member.variants.join(', ')} · ${formatBytes(member.sizeBytes)}`}>
                {member.name}
              </span>
            ))}
          </>
        )}
        {choice.kind === 'model' && modelChips(choice.model)}
      </div>
    </div>
  );
}

/** What one model offers, as chips: its family, its precision variants, what `children` adds for its kind, and its size on disk. */
export function ModelChips({ model, familyTitle, variantTitle, children }: { model: ModelInfo; familyTitle: string; variantTitle?: string; children?: ReactNode }) {
  return (
    <>
      {model.family && (
        <span className="chip" title={familyTitle}>
          {model.family} family
        </span>
      )}
      {model.variants.map((variant) => (
        <span key={variant} className="chip chip-muted" title={variantTitle}>
          {variant}
        </span>
      ))}
      {children}
      <span className="chip chip-muted">{formatBytes(model.sizeBytes)}</span>
    </>
  );
}

function textModelChips(model: ModelInfo) {
  return (
    <ModelChips model={model} familyTitle="λ chooses within this model's family">
      <span className="chip chip-muted" title="Context length in tokens">
        ctx {formatTokens(model.contextLength)}
      </span>
    </ModelChips>
  );
}
