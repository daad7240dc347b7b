import { useEffect, useRef, type UIEvent } from 'react';
import { compareModeLabel, type ComparePane, type ComparePoint } from '../../../../native/contract';
import { liveImageFigures, liveTextFigures } from '../../compare/figureRows';
import { epLabel, formatLayers } from '../../format';
import type { ComparePaneState } from '../../state/compareState';
import type { ImageJobState } from '../../state/imageJobState';
import type { JobState } from '../../state/jobState';
import { useImageJob, useJob } from '../../state/queries';
import { PaneFigures } from './PaneFigures';

interface Props {
  kind: 'text' | 'image';
  prompt: string;
  pane: ComparePaneState;
  /** The pane as the finished comparison reports it; undefined while it runs. */
  final: ComparePane | undefined;
  /** Image panes: pixels per image pixel, the same for every pane. */
  zoom: number;
  bodyRef?: (element: HTMLDivElement | null) => void;
  onScroll?: (event: UIEvent<HTMLDivElement>) => void;
}

export function describePoint(point: Pick<ComparePoint, 'model' | 'precision' | 'depth' | 'steps' | 'provider'> & { window?: ComparePoint['window'] }): string {
  const knob = point.steps !== null ? `${point.steps} steps` : point.depth !== null ? formatLayers(point.depth) : null;
  const window = point.window ? `window ${point.window.window} + ${point.window.sinks} sinks` : null;
  return [point.model, point.precision, knob, window, epLabel(point.provider)].filter(Boolean).join(' · ');
}

type PaneStatus = 'waiting' | 'queued' | 'running' | 'done' | 'cancelled' | 'error';

function statusOf(pane: ComparePaneState, final: ComparePane | undefined, job: JobState | ImageJobState | undefined): PaneStatus {
  if (final) return final.status;
  if (pane.error) return 'error';
  if (!pane.paneJobId || !job) return 'waiting';
  if (job.status === 'stopped') return 'cancelled';
  if (job.status === 'done' && 'result' in job && job.result && 'finishReason' in job.result && job.result.finishReason === 'cancelled') return 'cancelled';
  return job.status;
}

const STATUS_LABELS: Record<PaneStatus, string> = { waiting: 'Waiting its turn', queued: 'Queued', running: 'Running', done: 'Done', cancelled: 'Stopped', error: 'Failed' };

/** What ran while the pane's job is live: from its started event (text) or parameters (images). */
function livePoint(kind: 'text' | 'image', mode: ComparePaneState['mode'], text: JobState | undefined, image: ImageJobState | undefined): string | null {
  if (kind === 'text' && text?.config && text.ep) return describePoint({ model: text.config.operatingPoint?.model ?? mode.model ?? '', precision: text.config.precision, depth: text.config.depth, steps: null, window: text.config.window, provider: text.ep });
  if (kind === 'image' && image?.parameters && image.ep) return describePoint({ model: image.operatingPoint?.model ?? mode.model ?? '', precision: image.parameters.precision, depth: null, steps: image.parameters.steps, provider: image.ep });
  return null;
}

/** One mode of a comparison: what ran, its output as it streams, and its figures with the best marked. */
export function ComparePaneCard({ kind, prompt, pane, final, zoom, bodyRef, onScroll }: Props) {
  const textJob = useJob(kind === 'text' ? pane.paneJobId : null);
  const imageJob = useImageJob(kind === 'image' ? pane.paneJobId : null);
  const status = statusOf(pane, final, kind === 'text' ? textJob : imageJob);
  const point = final?.point ? describePoint(final.point) : livePoint(kind, pane.mode, textJob, imageJob);
  const figures = final?.figures ?? (kind === 'text' ? liveTextFigures(textJob?.metrics ?? null, textJob?.config?.operatingPoint?.bitsPerByte ?? null) : liveImageFigures(imageJob, imageJob?.operatingPoint?.frechetDistance ?? null));
  const error = final?.error ?? pane.error ?? (kind === 'text' ? textJob?.error : imageJob?.error) ?? null;
  const text = final?.text?.text ?? textJob?.text ?? '';
  const imageUrl = final?.image ? `data:image/png;base64,${final.image.png}` : (imageJob?.previews[0] ?? null);
  const imageSize = final?.image ?? (imageJob?.parameters ? { width: imageJob.parameters.width, height: imageJob.parameters.height } : null);
  const story = useRef<HTMLDivElement | null>(null);

  useEffect(() => {
    const body = story.current;
    // Follow the growing story only while the reader is already at the bottom.
    if (body && body.scrollHeight - body.scrollTop - body.clientHeight < 60) body.scrollTop = body.scrollHeight;
  }, [text]);

  return (
    <article className="compare-pane" data-testid="compare-pane" data-index={pane.index} data-status={status} aria-label={`Pane ${pane.index + 1}: ${compareModeLabel(pane.mode)}`}>
      <header className="compare-pane-head">
        <span className="op-chip">
          <span className="op-chip-lambda">{pane.index + 1}</span>
          {compareModeLabel(pane.mode)}
        </span>
        <span className={`pane-status pane-status-${status}`} data-testid="pane-status">
          {STATUS_LABELS[status]}
          {status === 'running' && kind === 'image' && imageJob?.steps ? ` · step ${imageJob.step}/${imageJob.steps}` : ''}
        </span>
      </header>
      <p className="pane-point" data-testid="pane-point" title="What ran: model, precision, depth or steps, provider">
        {point ?? (status === 'waiting' ? 'Runs after the panes before it' : '…')}
      </p>
      {kind === 'text' ? (
        <div
          className="compare-story story"
          ref={(element) => {
            story.current = element;
            bodyRef?.(element);
          }}
          onScroll={onScroll}
          tabIndex={0}
          aria-label={`Story of pane ${pane.index + 1}`}
          data-testid="pane-text"
        >
          <span className="story-prompt">{prompt}</span>
          {text}
        </div>
      ) : (
        <div className="compare-image" data-testid="pane-image-box">
          {imageUrl && imageSize ? (
            <img src={imageUrl} alt={`Pane ${pane.index + 1}: ${compareModeLabel(pane.mode)}`} className="pixelated" width={imageSize.width * zoom} height={imageSize.height * zoom} data-testid={final?.image ? 'pane-image' : 'pane-preview'} />
          ) : (
            <span className="output-empty">{status === 'waiting' ? 'Waiting…' : status === 'error' || status === 'cancelled' ? 'No image' : 'Denoising…'}</span>
          )}
        </div>
      )}
      {error && status !== 'done' && (
        <p className="inline-error" role="status">
          {error}
        </p>
      )}
      <PaneFigures kind={kind} figures={figures} best={final?.best ?? []} />
    </article>
  );
}
