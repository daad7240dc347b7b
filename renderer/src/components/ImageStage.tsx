import { useState } from 'react';
import type { ExecutionProvider, ImageOperatingPoint, ImageResult, Settings } from '../../../native/contract';
import { describeImageOperatingPoint, epLabel, formatImageOperatingPoint, formatImageOperatingPointShort } from '../format';
import { enlargeClass, isPixelArt, parameterRows, pngBytes, pngFileName } from '../images/imageForm';
import { saveBlob } from '../saveBlob';
import { imageProgressFraction, type ImageJobState } from '../state/imageJobState';
import { BudgetNotice } from './BudgetNotice';
import { CopyButton } from './CopyButton';
import { DownloadIcon, ImageIcon } from './icons';
import { ImageGrid, resultCells, type GridCell } from './ImageGrid';
import { OutputHeader, type PointChip } from './OutputHeader';

/** An image made in this session, for the gallery strip. */
export interface GalleryImage {
  id: string;
  /** The job that made it (a batch makes several). */
  jobId: string;
  result: ImageResult;
  /** A data URL of the PNG, for display. */
  url: string;
  /** What λ selected for it; null when the model ran as set. */
  operatingPoint: ImageOperatingPoint | null;
}

interface Props {
  job: ImageJobState | undefined;
  /** The start call is in flight: the host checks the request and opens the model's sessions. */
  pending: boolean;
  /** The start call carries λ: the host is choosing (on first use, measuring) an operating point. */
  choosing: boolean;
  /** A gallery image the user picked, shown instead of the current run. */
  shown: GalleryImage | null;
  gallery: GalleryImage[];
  /** The gallery image picked; null shows the latest run, whose images the gallery marks. */
  selectedId: string | null;
  currentJobId: string | null;
  onSelect: (image: GalleryImage) => void;
  onShowCurrent: () => void;
  errorMessage: string | null;
  requestedEp: ExecutionProvider;
  /** How small images are enlarged (Settings), and a change to it. */
  scaling: ImageScaling;
  onScalingChange: (scaling: ImageScaling) => void;
}

export type ImageScaling = Settings['imageScaling'];

function ScalingToggle({ scaling, onChange }: { scaling: ImageScaling; onChange: (scaling: ImageScaling) => void }) {
  return (
    <div className="image-scaling" role="radiogroup" aria-label="Enlarge small images" data-testid="image-scaling">
      {(['crisp', 'smooth'] as const).map((option) => (
        <button
          key={option}
          type="button"
          role="radio"
          aria-checked={scaling === option}
          className={`image-scaling-option${scaling === option ? ' active' : ''}`}
          title={option === 'crisp' ? 'Nearest-neighbour: every pixel a sharp square' : 'Smooth: the browser interpolates between pixels'}
          onClick={() => onChange(option)}
        >
          {option === 'crisp' ? 'Crisp' : 'Smooth'}
        </button>
      ))}
    </div>
  );
}

function progressText(job: ImageJobState | undefined, pending: boolean, choosing: boolean): string {
  if (!job) return pending ? (choosing ? 'Choosing an operating point…' : 'Loading the model…') : '';
  switch (job.status) {
    case 'queued':
      return job.queuePosition ? `Queued, position ${job.queuePosition}` : 'Queued…';
    case 'running': {
      const batch = job.seeds.length > 1 ? `${job.seeds.length} images · ` : '';
      return job.step === 0 ? 'Encoding the prompt…' : `${batch}Step ${job.step} / ${job.steps ?? '?'}`;
    }
    case 'done':
      return job.images.length > 1
        ? `Done · ${job.images.length} images, ${job.steps} steps${job.metrics ? `, ${job.metrics.sPerImage.toFixed(2)} s each` : ''}`
        : `Done · ${job.steps} steps${job.metrics ? ` in ${job.metrics.sPerImage.toFixed(2)} s` : ''}`;
    case 'stopped':
      return `Stopped after ${job.step} of ${job.steps ?? '?'} steps`;
    case 'error':
      return job.step > 0 ? `Failed at step ${job.step} of ${job.steps ?? '?'}` : 'Failed';
  }
}

/** The image area: live progress and previews, the finished image with its parameters, and the session's gallery. */
/** What λ chose for the image shown: short beside the progress bar, in full (predicted quality and cost included) on hover. */
function pointChip(point: ImageOperatingPoint | null): PointChip | null {
  return point && { lambda: point.lambda, text: formatImageOperatingPointShort(point), title: `${formatImageOperatingPoint(point)}\n${describeImageOperatingPoint(point)}`, testId: 'image-output-operating-point' };
}

/** The previews of a batch still denoising, one cell per seed. */
function previewCells(job: ImageJobState): GridCell[] {
  const { width, height } = job.parameters ?? { width: 0, height: 0 };
  return job.seeds.map((seed, index) => ({ url: job.previews[index] ?? null, seed, width, height, alt: `Preview of image ${index + 1}` }));
}

export function ImageStage({ job, pending, choosing, shown, gallery, selectedId, currentJobId, onSelect, onShowCurrent, errorMessage, requestedEp, scaling, onScalingChange }: Props) {
  const [focus, setFocus] = useState<{ images: ImageResult[]; index: number } | null>(null);
  const batch = !shown && job && job.images.length > 1 ? job.images : null;
  const focused = batch && focus?.images === batch ? focus.index : 0;
  const result = shown?.result ?? batch?.[focused] ?? job?.result ?? null;
  const resultUrl = shown?.url ?? (job?.result ? `data:image/png;base64,${job.result.png}` : null);
  const previewing = !shown && job && !job.result ? job : null;
  const previewGrid = previewing && previewing.seeds.length > 1 ? previewCells(previewing) : null;
  const preview = previewing?.previews[0] ?? null;
  const status = shown ? null : job?.status ?? (pending ? 'starting' : null);
  const ended = status === 'stopped' || status === 'error';
  const fraction = shown ? 1 : imageProgressFraction(job);
  const previewSize = job?.parameters ?? null;
  const point = shown ? shown.operatingPoint : (job?.operatingPoint ?? null);
  const small = result ? isPixelArt(result.width, result.height) : previewSize !== null && isPixelArt(previewSize.width, previewSize.height);
  const pixelated = (width: number, height: number) => enlargeClass(scaling, width, height);

  return (
    <section className="output-panel image-stage" aria-label="Image">
      <OutputHeader
        title={shown ? 'From this session' : 'Image'}
        className="image-stage-header"
        point={pointChip(point)}
        actions={
          shown && (
            <button type="button" className="button button-quiet" onClick={onShowCurrent} title="Back to the latest run">
              Latest run
            </button>
          )
        }
      >
        {status && (
          <div className="image-progress" data-testid="image-progress" data-state={status} role="progressbar" aria-valuemin={0} aria-valuemax={job?.steps ?? 0} aria-valuenow={job?.step ?? 0} aria-label="Image progress">
            <div className="image-progress-track">
              <div className={`image-progress-fill${status === 'running' || status === 'queued' || status === 'starting' ? ' image-progress-live' : ''}`} style={{ width: `${Math.round(fraction * 100)}%` }} />
            </div>
            <span className="image-progress-text" data-testid="image-progress-text">
              {progressText(job, pending, choosing)}
            </span>
            {job?.precision && status === 'running' && <span className="chip chip-muted">{job.precision}</span>}
          </div>
        )}
      </OutputHeader>

      {!shown && job?.fallbackReason && (
        <p className="fallback-notice" role="status">
          {epLabel(requestedEp)} unavailable: {job.fallbackReason}
        </p>
      )}
      {!shown && <BudgetNotice budget={job?.budget} />}
      {errorMessage && !shown && (
        <p className="error-line" role="alert" data-testid="image-error">
          {errorMessage}
        </p>
      )}

      <div className="image-stage-body">
        <div className="image-frame">
          {small && (result || preview || previewGrid) && <ScalingToggle scaling={scaling} onChange={onScalingChange} />}
          {batch ? (
            <ImageGrid cells={resultCells(batch)} focused={focused} onFocus={(index) => setFocus({ images: batch, index })} scalingClass={pixelated} ended={false} testId="image-result-grid" />
          ) : result && resultUrl ? (
            <img className={`image-canvas${pixelated(result.width, result.height)}`} data-testid="image-result" src={resultUrl} width={result.width} height={result.height} alt={result.parameters.prompt || 'Generated image'} />
          ) : previewGrid ? (
            <ImageGrid cells={previewGrid} focused={null} onFocus={null} scalingClass={pixelated} ended={ended} testId="image-preview-grid" />
          ) : preview ? (
            <img
              className={`image-canvas image-canvas-preview${previewSize ? pixelated(previewSize.width, previewSize.height) : ''}${ended ? ' image-canvas-ended' : ''}`}
              data-testid="image-preview"
              src={preview}
              alt="Preview of the image being generated"
            />
          ) : (
            <div className="image-empty">
              <ImageIcon width={40} height={40} />
              <p>{status && !ended ? 'The preview appears after the first steps.' : 'Describe an image and press Generate (Ctrl+Enter). Previews appear as it denoises.'}</p>
            </div>
          )}
        </div>
        {result && <ImageDetails result={result} />}
      </div>

      {gallery.length > 0 && (
        <div className="image-gallery" data-testid="image-gallery" role="list" aria-label="Images from this session">
          {gallery.map((image) => (
            <button
              key={image.id}
              type="button"
              role="listitem"
              className="gallery-item"
              data-testid="gallery-item"
              aria-current={(selectedId ? image.id === selectedId : image.jobId === currentJobId) ? 'true' : undefined}
              title={`${image.result.parameters.prompt || '(no prompt)'} · seed ${image.result.parameters.seed} — click to restore its parameters`}
              onClick={() => onSelect(image)}
            >
              <img src={image.url} alt="" className={pixelated(image.result.width, image.result.height).trim() || undefined} />
            </button>
          ))}
        </div>
      )}
    </section>
  );
}

function ImageDetails({ result }: { result: ImageResult }) {
  const { parameters } = result;
  return (
    <aside className="image-details">
      <dl className="image-parameters" data-testid="image-parameters">
        <div className="param-prompt">
          <dt>Prompt</dt>
          <dd data-testid="param-prompt">{parameters.prompt || <span className="muted">(empty)</span>}</dd>
        </div>
        {parameters.negativePrompt && (
          <div className="param-prompt">
            <dt>Negative</dt>
            <dd>{parameters.negativePrompt}</dd>
          </div>
        )}
        {parameterRows(parameters).map((row) => (
          <div key={row.label}>
            <dt>{row.label}</dt>
            <dd data-testid={row.testId}>{row.value}</dd>
          </div>
        ))}
      </dl>
      <div className="image-actions">
        <SaveButton result={result} />
        <CopyButton testId="image-copy-parameters" label="Copy parameters" title="Copy the prompt and settings as text (Automatic1111 format)" text={result.parametersText} />
      </div>
    </aside>
  );
}

function SaveButton({ result }: { result: ImageResult }) {
  function save() {
    // The engine's own bytes, so the PNG keeps its parameters chunk.
    saveBlob(new Blob([pngBytes(result.png)], { type: 'image/png' }), pngFileName(result.parameters));
  }
  return (
    <button type="button" className="button button-primary" data-testid="image-save-button" title="Save the PNG, with its parameters inside" onClick={save}>
      <DownloadIcon />
      Save PNG
    </button>
  );
}
