import type { ModelInfo } from '../../../native/contract';
import { formatBytes, formatTokens } from '../format';

/** The text model to generate with, and what it offers; `emptyLabel` says why the list is empty. */
export function ModelPicker({ models, value, onChange, emptyLabel }: { models: ModelInfo[]; value: string | null; onChange: (id: string) => void; emptyLabel: string }) {
  const selected = models.find((model) => model.id === value);
  return (
    <div className="model-picker">
      <label className="field-label" htmlFor="model-select">
        Model
      </label>
      <select id="model-select" data-testid="model-select" value={value ?? ''} onChange={(event) => onChange(event.target.value)} disabled={models.length === 0}>
        {models.length === 0 && <option value="">{emptyLabel}</option>}
        {models.map((model) => (
          <option key={model.id} value={model.id}>
            {model.name}
          </option>
        ))}
      </select>
      {selected && (
        <div className="model-meta" aria-label="Model details">
          {selected.variants.map((variant) => (
            <span key={variant} className="chip">
              {variant}
            </span>
          ))}
          <span className="chip chip-muted" title="Context length in tokens">
            ctx {formatTokens(selected.contextLength)}
          </span>
          <span className="chip chip-muted">{formatBytes(selected.sizeBytes)}</span>
        </div>
      )}
    </div>
  );
}
