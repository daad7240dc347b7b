import { useQueryClient } from '@tanstack/react-query';
import { useState, type KeyboardEvent } from 'react';
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
import { buildImageRequest, fitImageForm, formFromParameters, imageTarget, initialImageForm, type ImageForm } from '../images/imageForm';
import { isImageJobActive, requestImageStop, type ImageJobState } from '../state/imageJobState';
import { queryKeys, useCancelJob, useImageJob, useModels, useProviders, useSettings, useStartImageJob } from '../state/queries';
import { useLambda } from '../state/useLambda';
import { ViewStatus } from './ViewStatus';

export function ImagesView() {
  const settings = useSettings();
  if (settings.isPending) return <ViewStatus>Loading settings…</ViewStatus>;
  if (settings.isError) return <ViewStatus error>{settings.error.message}</ViewStatus>;
  return <ImagesWorkspace settings={settings.data} />;
}

/** Keeps at most this many of the session's images in the gallery strip (newest first). */
const GALLERY_LIMIT = 48;

function ImagesWorkspace({ settings }: { settings: Settings }) {
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
  const [gallery, setGallery] = useState<GalleryImage[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const startJob = useStartImageJob();
  const cancelJob = useCancelJob();
  const job = useImageJob(jobId);
  const active = startJob.isPending || isImageJobActive(job);
  const choosing = startJob.isPending && startJob.variables?.lambda !== undefined;

  // A finished image joins the gallery once (the job's state is final, so this runs once per job).
  const finished = job?.status === 'done' && job.result && jobId && !gallery.some((image) => image.id === jobId) ? toGalleryImage(jobId, job.result, job.operatingPoint) : null;
  if (finished) setGallery((current) => (current.some((image) => image.id === finished.id) ? current : [finished, ...current].slice(0, GALLERY_LIMIT)));

  function patch(change: Partial<ImageForm>) {
    setForm((current) => ({ ...current, ...change }));
  }

  function generate() {
    if (active) return;
    const built = buildImageRequest(imageTarget(choice, lambda), form);
    setFormError(built.ok ? null : built.message);
    if (!built.ok) return;
    cancelJob.reset();
    setSelected(null);
    setJobId(null);
    startJob.mutate(built.request, { onSuccess: ({ jobId: started }) => setJobId(started) });
  }

  function stop() {
    if (!jobId) return;
    queryClient.setQueryData<ImageJobState>(queryKeys.imageJob(jobId), (current) => (current ? requestImageStop(current) : current));
    cancelJob.mutate(jobId);
  }

  function restore(image: GalleryImage) {
    setSelected(image.id);
    // The image's own model, steps and precision run it again as made: λ's choice is off until Auto is picked again.
    const known = imageModels.find((candidate) => candidate.id === image.result.parameters.model || candidate.path === image.result.parameters.model);
    if (known) setChosenModel(known.id);
    setForm((current) => formFromParameters(image.result.parameters, current, (known ?? model)?.image));
    setFormError(null);
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      generate();
    }
  }

  const selectedPoint = job?.operatingPoint ?? null;
  const check = selectedPoint && job?.result ? { predicted: selectedPoint.sPerImageRange && { median: selectedPoint.sPerImage, ...selectedPoint.sPerImageRange }, measured: job.result.metrics.sPerImage, unit: 's/image' as const } : null;
  const jobError = job?.status === 'error' ? job.error : null;
  const errorMessage = formError ?? startJob.error?.message ?? jobError ?? cancelJob.error?.message ?? null;
  const shown = selected ? (gallery.find((image) => image.id === selected) ?? null) : null;

  return (
    <div className="generate-view images-view" onKeyDown={onKeyDown}>
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
              <button type="button" className="button button-danger" data-testid="image-stop-button" title="Stop the running image" onClick={stop} disabled={!active || !jobId || cancelJob.isPending}>
                <StopIcon />
                Stop
              </button>
              <button type="button" className="button button-primary" data-testid="image-generate-button" title="Generate an image (Ctrl/Cmd+Enter)" onClick={generate} disabled={active || choice.kind === 'none'}>
                <PlayIcon />
                {active ? 'Generating…' : 'Generate'}
              </button>
            </div>
          </div>
          <ImageStage job={job} pending={startJob.isPending} choosing={choosing} shown={shown} gallery={gallery} selectedId={selected ?? jobId} onSelect={restore} onShowCurrent={() => setSelected(null)} errorMessage={errorMessage} requestedEp={form.ep} />
        </div>
        <ImageSettingsPanel form={form} model={model} lambdaDecides={choice.kind === 'auto'} providers={providers.data} onChange={patch} onReset={() => setForm((current) => ({ ...initialImageForm(settings.ep), prompt: current.prompt, negativePrompt: current.negativePrompt }))} />
      </div>

      <ImageProfilerStrip job={shown ? undefined : job} result={shown?.result ?? null} />
    </div>
  );
}

function toGalleryImage(id: string, result: ImageResult, operatingPoint: ImageOperatingPoint | null): GalleryImage {
  return { id, result, url: `data:image/png;base64,${result.png}`, operatingPoint };
}
