import type { ModelInfo } from '../../../native/contract';
import { formatBytes } from '../format';
import { SCHEDULER_LABELS } from '../images/imageForm';

interface Props {
  /** Image models only. */
  models: ModelInfo[];
  model: ModelInfo | null;
  onChange: (id: string) => void;
  /** Why the list is empty. */
  emptyLabel: string;
}

/** One image model, and what it offers: precisions, its default size and scheduler, its size on disk. */
export function ImageModelPicker({ models, model, onChange, emptyLabel }: Props) {
  const defaults = model?.image ?? null;
  return (
    <div className="model-picker">
      <label className="field-label" htmlFor="image-model-select">
        Model
      </label>
      <select id="image-model-select" data-testid="image-model-select" value={model?.id ?? ''} onChange={(event) => onChange(event.target.value)} disabled={models.length === 0}>
        {models.length === 0 && <option value="">{emptyLabel}</option>}
        {models.map((candidate) => (
          <option key={candidate.id} value={candidate.id}>
            {candidate.name}
            {candidate.role ? ` (${candidate.role})` : ''}
          </option>
        ))}
      </select>
      {model && (
        <div className="model-meta" aria-label="Model details">
          {model.family && <span className="chip">{model.family} family</span>}
          {model.variants.map((variant) => (
            <span key={variant} className="chip chip-muted" title="UNet precision variant">
              {variant}
            </span>
          ))}
          {defaults && (
            <>
              <span className="chip chip-muted" title="Default size">
                {defaults.width} × {defaults.height}
              </span>
              <span className="chip chip-muted" title="The model's own scheduler">
                {SCHEDULER_LABELS[defaults.scheduler]}
              </span>
            </>
          )}
          <span className="chip chip-muted">{formatBytes(model.sizeBytes)}</span>
        </div>
      )}
    </div>
  );
}
