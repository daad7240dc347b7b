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
}

/** Auto (λ over the bundled family) or one text model, and what the choice offers. */
export function ModelPicker({ models, choice, autoFamily, onChange, emptyLabel }: Props) {
  const value = choice.kind === 'auto' ? AUTO_MODEL : choice.kind === 'model' ? choice.model.id : '';
  const options = models.map((model) => (
    <option key={model.id} value={model.id}>
      {model.name}
      {model.role ? ` (${model.role})` : ''}
    </option>
  ));
  return (
    <div className="model-picker">
      <label className="field-label" htmlFor="model-select">
        Model
      </label>
      <select id="model-select" data-testid="model-select" value={value} onChange={(event) => onChange(event.target.value)} disabled={models.length === 0}>
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
        {choice.kind === 'model' && (
          <>
            {choice.model.family && (
              <span className="chip" title="λ chooses within this model's family">
                {choice.model.family} family
              </span>
            )}
            {choice.model.variants.map((variant) => (
              <span key={variant} className="chip chip-muted">
                {variant}
              </span>
            ))}
            <span className="chip chip-muted" title="Context length in tokens">
              ctx {formatTokens(choice.model.contextLength)}
            </span>
            <span className="chip chip-muted">{formatBytes(choice.model.sizeBytes)}</span>
          </>
        )}
      </div>
    </div>
  );
}
