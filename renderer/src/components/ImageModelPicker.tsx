import { IMAGE_SCHEDULER_LABELS, type ModelInfo } from '../../../native/contract';
import type { ModelChoice } from '../generate/modelChoice';
import { ModelChips, ModelPicker } from './ModelPicker';

interface Props {
  /** Image models only. */
  models: ModelInfo[];
  choice: ModelChoice;
  /** The bundled image family λ chooses within under Auto; null hides the Auto option. */
  autoFamily: string | null;
  onChange: (id: string) => void;
  /** Why the list is empty. */
  emptyLabel: string;
}

/** Auto (λ over the bundled image family) or one image model, and what it offers: precisions, its default size and scheduler, its size on disk. */
export function ImageModelPicker(props: Props) {
  return <ModelPicker {...props} selectId="image-model-select" modelChips={imageModelChips} />;
}

function imageModelChips(model: ModelInfo) {
  const defaults = model.image ?? null;
  return (
    <ModelChips model={model} familyTitle="A package of this family; Auto (λ) chooses among the family's models" variantTitle="UNet precision variant">
      {defaults && (
        <>
          <span className="chip chip-muted" title="Default size">
            {defaults.width} × {defaults.height}
          </span>
          <span className="chip chip-muted" title="The model's own scheduler">
            {IMAGE_SCHEDULER_LABELS[defaults.scheduler]}
          </span>
        </>
      )}
    </ModelChips>
  );
}
