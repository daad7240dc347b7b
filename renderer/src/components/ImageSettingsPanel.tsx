import { IMAGE_SCHEDULER_LABELS, IMAGE_SCHEDULERS, MAX_IMAGE_BATCH, type ModelInfo, type ProviderInfo } from '../../../native/contract';
import { randomSeed } from '../generate/generationForm';
import { defaultSteps, sizeOptions, type ImageForm } from '../images/imageForm';
import { SliderField } from './GenerationSettingsPanel';
import { DiceIcon } from './icons';
import { ProviderSelect } from './ProviderSelect';

const BATCH_SIZES = Array.from({ length: MAX_IMAGE_BATCH }, (_, index) => index + 1);

interface Props {
  form: ImageForm;
  /** The model picked by hand; null under Auto (λ), or with no model yet. */
  model: ModelInfo | null;
  /** True when λ picks the model, its precision and its steps (Auto): those fields are λ's. */
  lambdaDecides: boolean;
  providers: ProviderInfo[] | undefined;
  onChange: (patch: Partial<ImageForm>) => void;
  onReset: () => void;
}

/** The right-hand panel of the Images view: how many steps, how strongly to follow the prompt, the seed, and how to run. */
export function ImageSettingsPanel({ form, model, lambdaDecides, providers, onChange, onReset }: Props) {
  const defaults = model?.image ?? null;
  const sizes = sizeOptions(defaults);
  const defaultSize = defaults ? `${defaults.width}x${defaults.height}` : '';
  const customSize = form.size !== '' && form.size !== defaultSize && !sizes.some((option) => option.value === form.size);
  return (
    <aside className="settings-panel" aria-label="Image settings">
      <h2 className="panel-title">Image</h2>

      <div className="field">
        <label className="field-label" htmlFor="image-steps">
          Steps <span className="field-aside">{lambdaDecides ? 'λ decides' : `blank = ${defaultSteps(defaults, form.scheduler)}`}</span>
        </label>
        <input
          id="image-steps"
          data-testid="image-steps-input"
          type="number"
          min={1}
          max={1000}
          step={1}
          placeholder={lambdaDecides ? 'λ decides' : String(defaultSteps(defaults, form.scheduler))}
          value={form.steps}
          disabled={lambdaDecides}
          onChange={(event) => onChange({ steps: event.target.value })}
        />
        {lambdaDecides && (
          <p className="field-hint" data-testid="image-lambda-hint">
            λ picks the model, its precision and its steps. Pick a model above to set them by hand.
          </p>
        )}
      </div>

      <SliderField id="image-guidance" testId="image-guidance-input" label="Guidance" min={0} max={20} step={0.5} value={form.guidance} blank="model default" onChange={(guidance) => onChange({ guidance })} />
      {form.guidance.trim() !== '' && Number(form.guidance) <= 1 && <p className="field-hint">At 1 or below the negative prompt is not used (one UNet pass per step).</p>}

      <div className="field">
        <label className="field-label" htmlFor="image-seed">
          Seed <span className="field-aside">blank = random</span>
        </label>
        <div className="input-with-button">
          <input id="image-seed" data-testid="image-seed-input" type="number" min={0} max={4294967295} step={1} placeholder="random" value={form.seed} onChange={(event) => onChange({ seed: event.target.value })} />
          <button type="button" className="icon-button" data-testid="image-seed-dice" title="Pick a random seed" aria-label="Pick a random seed" onClick={() => onChange({ seed: String(randomSeed()) })}>
            <DiceIcon />
          </button>
        </div>
      </div>

      <div className="field">
        <span className="field-label" id="image-batch-label">
          Images <span className="field-aside">{form.batch > 1 ? 'seed, seed + 1, …' : 'per run'}</span>
        </span>
        <div className="segmented segmented-4" role="radiogroup" aria-labelledby="image-batch-label" data-testid="image-batch">
          {BATCH_SIZES.map((size) => (
            <label key={size} className="segment" title={size === 1 ? 'One image' : `${size} images in one run, seeds one apart`}>
              <input type="radio" name="image-batch" value={size} checked={form.batch === size} onChange={() => onChange({ batch: size })} />
              <span>{size}</span>
            </label>
          ))}
        </div>
      </div>

      <div className="field">
        <label className="field-label" htmlFor="image-scheduler">
          Scheduler
        </label>
        <select id="image-scheduler" data-testid="image-scheduler-select" value={form.scheduler} onChange={(event) => onChange({ scheduler: event.target.value as ImageForm['scheduler'] })}>
          <option value="">Model default{defaults ? ` (${IMAGE_SCHEDULER_LABELS[defaults.scheduler]})` : ''}</option>
          {IMAGE_SCHEDULERS.map((scheduler) => (
            <option key={scheduler} value={scheduler}>
              {IMAGE_SCHEDULER_LABELS[scheduler]}
            </option>
          ))}
        </select>
      </div>

      <div className="field">
        <label className="field-label" htmlFor="image-precision">
          Precision <span className="field-aside">UNet variant</span>
        </label>
        <select id="image-precision" data-testid="image-precision-select" value={form.precision} disabled={!model || model.variants.length < 2} onChange={(event) => onChange({ precision: event.target.value })}>
          <option value="">{lambdaDecides ? 'λ decides' : `Model default${model?.variants.includes('fp32') ? ' (fp32)' : model?.variants[0] ? ` (${model.variants[0]})` : ''}`}</option>
          {model?.variants.map((variant) => (
            <option key={variant} value={variant}>
              {variant}
            </option>
          ))}
        </select>
        {model && model.variants.length < 2 && <p className="field-hint">This model has one precision.</p>}
      </div>

      <div className="field">
        <label className="field-label" htmlFor="image-size">
          Size <span className="field-aside">pixels</span>
        </label>
        <select id="image-size" data-testid="image-size-select" value={form.size} disabled={!defaults} onChange={(event) => onChange({ size: event.target.value })}>
          <option value="">Model default{defaults ? ` (${defaults.width} × ${defaults.height})` : ''}</option>
          {sizes.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
          {customSize && <option value={form.size}>{form.size.replace('x', ' × ')} · restored</option>}
        </select>
        {defaults && defaults.sizeStep > 1 && <p className="field-hint">Multiples of {defaults.sizeStep} px; a model exported at one size makes only that size.</p>}
      </div>

      <h2 className="panel-title">Hardware</h2>
      <div className="field">
        <label className="field-label" htmlFor="image-ep-select">
          Execution provider
        </label>
        <ProviderSelect id="image-ep-select" testId="image-ep-select" value={form.ep} onChange={(ep) => onChange({ ep })} providers={providers} />
      </div>

      <button type="button" className="button button-quiet panel-reset" title="Reset steps, guidance, seed, images, scheduler, precision and size to the model's defaults (or λ's choice)" onClick={onReset}>
        Reset to defaults
      </button>
    </aside>
  );
}
