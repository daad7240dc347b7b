import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ImageOperatingPoint, ImageResult, Settings } from '../../../native/contract';
import { ImageModelPicker } from '../components/ImageModelPicker';
import { ImageProfilerStrip } from '../components/ImageProfilerStrip';
import { ImageSettingsPanel } from '../components/ImageSettingsPanel';
import { ImageStage, type GalleryImage } from '../components/ImageStage';
import { PlayIcon, StopIcon } from '../components/icons';
import { ImportModelField } from '../components/ImportModelField';
import { TradeoffSlider } from '../components/TradeoffSlider';
import { describeImageOperatingPoint, formatImageOperatingPoint } from '../format';
import { bundledFamily, lambdaFamily, lambdaOffReason, resolveModelChoice } from '../generate/modelChoice';
import { buildImageRequest, fitImageForm, formFromParameters, imageTarget, initialImageForm, type ImageForm, type KnownParameters } from '../images/imageForm';
import { isImageJobActive, requestImageStop, type ImageJobState } from '../state/imageJobState';
import { queryKeys, useCancelJob, useImageJob, useModels, useProviders, useSettings, useStartImageJob, useUpdateSettings } from '../state/queries';
import { useEarlyStop } from '../state/useEarlyStop';
import { useLambda } from '../state/useLambda';
import { useRestores, type RestoreChannel, type RestoreSource } from '../state/restore';
import { useShortcuts, type ShortcutScope } from '../state/useShortcuts';
import { ViewStatus } from './ViewStatus';

interface ViewProps {
  /** Reopened images and dropped PNGs arrive here. */
  restores: RestoreChannel;
  shortcuts: ShortcutScope;
}

export function ImagesView(props: ViewProps) {
  const settings = useSettings();
  if (settings.isPending) return <ViewStatus>Loading settings…</ViewStatus>;
  if (settings.isError) return <ViewStatus error>{settings.error.message}</ViewStatus>;
  return <ImagesWorkspace settings={settings.data} {...props} />;
}

const SOURCE_NAMES: Record<RestoreSource, string> = { history: 'history', pareto: 'a Pareto Studio PNG', a1111: 'an A1111 PNG' };

/** Where the form's settings were last restored from, and the model they named when it is not installed. */
interface Restored {
  source: RestoreSource;
  missingModel: string | null;
}

function restoredNote({ source, missingModel }: Restored, underLambda: boolean): string {
  const missing = missingModel ? ` The model "${missingModel}" is not installed, so the model picked here makes it.` : '';
  const lambda = underLambda ? ' Under Auto (λ) the steps, precision and size are λ’s: pick a model to use the image’s.' : '';
  return `Settings restored from ${SOURCE_NAMES[source]}.${missing}${lambda}`;
}

/** Keeps at most this many of the session's images in the gallery strip (newest first). */
const GALLERY_LIMIT = 48;

function ImagesWorkspace({ settings, restores, shortcuts }: ViewProps & { settings: Settings }) {
  const models = useModels();
  const providers = useProviders();
  const queryClient = useQueryClient();
  const imageModels = (models.data ?? []).filter((model) => model.kind === 'image');
  const [chosenModel, setChosenModel] = useState<string | null>(null);
  // Auto (λ over the bundled image family) unless a model is picked; Settings' default model is a text model.
  const choice = resolveModelChoice(imageModels, chosenModel, null);
  const autoFamily = bundledFamily(imageModels);
  const model = choice.kind === 'model' ? choice.model : null;
  const { lambda, change: changeLambda, saveError } = useLambda(settings.lambda);
  const [editedForm, setForm] = useState<ImageForm>(() => initialImageForm(settings.ep));
  // Under Auto, steps, precision and size are λ's; the values typed for a model come back when it is picked again.
  const form = fitImageForm(editedForm, choice);
  const [jobId, setJobId] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [restored, setRestored] = useState<Restored | null>(null);
  const [gallery, setGallery] = useState<GalleryImage[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const updateSettings = useUpdateSettings();
  // The choice shows at once; Settings keeps it.
  const scaling = updateSettings.isPending ? (updateSettings.variables.imageScaling ?? settings.imageScaling) : settings.imageScaling;
  const startJob = useStartImageJob();
  const cancelJob = useCancelJob();
  const earlyStop = useEarlyStop();
  const job = useImageJob(jobId);
  const active = startJob.isPending || isImageJobActive(job);
  const choosing = startJob.isPending && startJob.variables?.lambda !== undefined;

  // A finished job's images join the gallery once (the job's state is final, so this runs once per job).
  const finished = job?.status === 'done' && jobId && !gallery.some((image) => image.jobId === jobId) ? job.images.map((result, index) => toGalleryImage(jobId, index, result, job.operatingPoint)) : null;
  if (finished) setGallery((current) => (current.some((image) => image.jobId === jobId) ? current : [...finished, ...current].slice(0, GALLERY_LIMIT)));

  function patch(change: Partial<ImageForm>) {
    setForm((current) => ({ ...current, ...change }));
  }

  function generate() {
    if (active) return;
    const built = buildImageRequest(imageTarget(choice, lambda), form);
    setFormError(built.ok ? null : built.message);
    if (!built.ok) return;
    cancelJob.reset();
    earlyStop.reset();
    setSelected(null);
    setRestored(null);
    setJobId(null);
    startJob.mutate(built.request, {
      onSuccess: ({ jobId: started }) => {
        setJobId(started);
        if (earlyStop.arrived()) stopJob(started);
      },
    });
  }

  function stopJob(id: string) {
    queryClient.setQueryData<ImageJobState>(queryKeys.imageJob(id), (current) => (current ? requestImageStop(current) : current));
    cancelJob.mutate(id);
  }

  function stop() {
    if (jobId) stopJob(jobId);
    else if (startJob.isPending) earlyStop.request();
  }

  /** Puts an image's settings back; returns the model they name when it is installed. */
  function applyParameters(parameters: KnownParameters) {
    // The image's own model, steps and precision run it again as made: λ's choice is off until Auto is picked again.
    const known = parameters.model === undefined ? undefined : imageModels.find((candidate) => candidate.id === parameters.model || candidate.path === parameters.model);
    if (known) setChosenModel(known.id);
    setForm((current) => formFromParameters(parameters, current, (known ?? model)?.image));
    setFormError(null);
    return known;
  }

  function restore(image: GalleryImage) {
    setSelected(image.id);
    applyParameters(image.result.parameters);
    setRestored(null);
  }

  useShortcuts(shortcuts, { generate, stop: () => active && stop() });

  useRestores(restores, 'image', ({ parameters, source }) => {
    setSelected(null);
    const known = applyParameters(parameters);
    setRestored({ source, missingModel: parameters.model !== undefined && !known ? parameters.model : null });
  });

  const selectedPoint = job?.operatingPoint ?? null;
  const check = selectedPoint && job?.result ? { predicted: selectedPoint.sPerImageRange && { median: selectedPoint.sPerImage, ...selectedPoint.sPerImageRange }, measured: job.result.metrics.sPerImage, unit: 's/image' as const } : null;
  const jobError = job?.status === 'error' ? job.error : null;
  const errorMessage = formError ?? startJob.error?.message ?? jobError ?? cancelJob.error?.message ?? null;
  const shown = selected ? (gallery.find((image) => image.id === selected) ?? null) : null;

  return (
    <div className="generate-view images-view">
      <header className="toolbar">
        <ImageModelPicker
          models={imageModels}
          choice={choice}
          autoFamily={autoFamily}
          onChange={setChosenModel}
          emptyLabel={models.isPending ? 'Loading models…' : models.isError ? 'Models could not be listed' : 'No image models — add a diffusers ONNX folder'}
        />
        <ImportModelField testIdPrefix="image-import" onImported={(imported) => imported.kind === 'image' && setChosenModel(imported.id)} />
      </header>
      {models.isError && (
        <p className="error-line toolbar-error" role="alert">
          {models.error.message}
        </p>
      )}
      {restored && (
        <p className="toolbar-note" role="status" data-testid="restore-note">
          {restoredNote(restored, choice.kind === 'auto')}
        </p>
      )}

      <div className="generate-body">
        <div className="compose">
          <TradeoffSlider
            kind="image"
            idPrefix="image-"
            lambda={lambda}
            onChange={changeLambda}
            presets={settings.lambdaPresets}
            family={lambdaFamily(choice)}
            knobs="model, precision and steps"
            disabledReason={models.isSuccess ? lambdaOffReason(choice, autoFamily, { knobs: 'model, precision and steps', none: 'Add a diffusers ONNX folder to make images; λ needs an image family with measured quality (pareto.json).' }) : null}
            fixed={{}}
            ep={form.ep}
            selected={selectedPoint}
            check={check}
            formatPoint={formatImageOperatingPoint}
            describePoint={describeImageOperatingPoint}
            choosing={choosing}
            saveError={saveError}
          />
          <div className="prompt-box image-prompt-box">
            <label className="visually-hidden" htmlFor="image-prompt-input">
              Prompt
            </label>
            <textarea id="image-prompt-input" data-testid="image-prompt-input" placeholder="A red fox in the snow, watercolor" value={form.prompt} onChange={(event) => patch({ prompt: event.target.value })} spellCheck />
            <div className="negative-row">
              <label className="negative-label" htmlFor="image-negative-input">
                Negative
              </label>
              <input id="image-negative-input" data-testid="image-negative-input" type="text" placeholder="What the image should not show: blurry, text, watermark" value={form.negativePrompt} onChange={(event) => patch({ negativePrompt: event.target.value })} spellCheck />
            </div>
            <div className="prompt-actions">
              <span className="shortcut-hint">
                <kbd>Ctrl</kbd>/<kbd>⌘</kbd> + <kbd>Enter</kbd> to generate
              </span>
              <button type="button" className="button button-danger" data-testid="image-stop-button" title="Stop the running image" onClick={stop} disabled={!active || cancelJob.isPending || earlyStop.pending}>
                <StopIcon />
                Stop
              </button>
              <button type="button" className="button button-primary" data-testid="image-generate-button" title="Generate an image (Ctrl/Cmd+Enter)" onClick={generate} disabled={active || choice.kind === 'none'}>
                <PlayIcon />
                {active ? 'Generating…' : 'Generate'}
              </button>
            </div>
          </div>
          <ImageStage job={job} pending={startJob.isPending} choosing={choosing} shown={shown} gallery={gallery} selectedId={selected}
            currentJobId={jobId} onSelect={restore} onShowCurrent={() => setSelected(null)} errorMessage={errorMessage}
            requestedEp={form.ep}
            scaling={scaling}
            onScalingChange={(imageScaling) => updateSettings.mutate({ imageScaling })}
          />
        </div>
        <ImageSettingsPanel form={form} model={model} lambdaDecides={choice.kind === 'auto'} providers={providers.data} onChange={patch} onReset={() => setForm((current) => ({ ...initialImageForm(settings.ep), prompt: current.prompt, negativePrompt: current.negativePrompt }))} />
      </div>

      <ImageProfilerStrip job={shown ? undefined : job} result={shown?.result ?? null} />
    </div>
  );
}

function toGalleryImage(jobId: string, index: number, result: ImageResult, operatingPoint: ImageOperatingPoint | null): GalleryImage {
  return { id: `${jobId}-${index}`, jobId, result, url: `data:image/png;base64,${result.png}`, operatingPoint };
}
