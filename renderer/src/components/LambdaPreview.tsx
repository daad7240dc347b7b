import { useState } from 'react';
import type { ExecutionProvider, PlanPreview } from '../../../native/contract';
import { describeChoiceChange, formatPlanPoint, type ShownChoice } from '../lambda/planText';
import { useCalibrate, useCalibrationProgress, usePlanPreview, type CalibrationProgressEvent } from '../state/queries';

export interface PreviewRequest {
  kind: 'text' | 'image';
  lambda: number;
  fixed: { precision?: string; depth?: number; steps?: number };
  ep: ExecutionProvider;
  /** False while λ is off: nothing is asked. */
  enabled: boolean;
}

/**
 * What the slider will run, asked of the host as it moves (no generation), with the reason when the
 * choice changes and the family's calibration: its state, its progress, and a way to run it.
 */
export function useLambdaPreview({ kind, lambda, fixed, ep, enabled }: PreviewRequest) {
  const query = usePlanPreview(enabled ? { family: kind, lambda, ep, ...fixed } : null);
  const calibrate = useCalibrate();
  const progress = useCalibrationProgress(kind);
  const preview = enabled ? query.data : undefined;
  const reason = useChoiceReason(preview);
  return {
    preview,
    error: enabled ? (query.error?.message ?? null) : null,
    reason,
    progress,
    calibrating: calibrate.isPending || progress !== null,
    calibrateError: calibrate.error?.message ?? null,
    calibrate: () => preview && calibrate.mutate({ family: preview.family, kind, ep }),
  };
}

/** Remembers the last choice shown, and says why the next one differs when it does. */
function useChoiceReason(preview: PlanPreview | undefined): string | null {
  const [track, setTrack] = useState<{ shown: ShownChoice | null; reason: string | null }>({ shown: null, reason: null });
  const chosen = preview?.points.find((point) => point.id === preview.chosen);
  if (preview && chosen && (track.shown?.chosen.id !== chosen.id || track.shown.calibratedAt !== preview.calibration.calibratedAt)) {
    const shown = { lambda: preview.lambda, chosen, calibratedAt: preview.calibration.calibratedAt };
    setTrack({ shown, reason: describeChoiceChange(track.shown, preview) ?? track.reason });
  }
  return track.reason;
}

type Preview = ReturnType<typeof useLambdaPreview>;

/** "at 22:29" today, "on 1 Dec, 22:29" before. */
function formatWhen(iso: string): string {
  const date = new Date(iso);
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return date.toDateString() === new Date().toDateString() ? `at ${time}` : `on ${date.toLocaleDateString([], { day: 'numeric', month: 'short' })}, ${time}`;
}

export function CalibrationLine({ idPrefix, live, progress }: { idPrefix: string; live: Preview; progress: CalibrationProgressEvent | null }) {
  const status = live.preview?.calibration;
  if (progress) {
    return (
      <p className="tradeoff-calibration" data-testid={`${idPrefix}calibration-progress`} role="status">
        <progress max={progress.total} value={progress.done} aria-label="Calibration progress" />
        Calibrating {progress.family}: {progress.done}/{progress.total}
        {progress.point ? ` · ${progress.point}` : ''}
      </p>
    );
  }
  if (!status) return null;
  const summary = status.state === 'calibrated' ? `Costs measured here ${formatWhen(status.calibratedAt!)}${status.runs ? ` · ${status.runs} run${status.runs === 1 ? '' : 's'} since` : ''}` : status.message;
  return (
    <p className={`tradeoff-calibration${status.state === 'calibrated' ? '' : ' tradeoff-calibration-needed'}`} data-testid={`${idPrefix}calibration-status`} data-state={status.state} title={status.device}>
      <span>{summary}</span>
      <button type="button" className="button button-quiet" data-testid={`${idPrefix}calibrate-button`} disabled={live.calibrating} onClick={live.calibrate} title="Time the family's points together on this device (a few seconds)">
        {status.state === 'calibrated' ? 'Recalibrate' : 'Calibrate now'}
      </button>
      {live.calibrateError && <span className="error-line">{live.calibrateError}</span>}
    </p>
  );
}

/** The preview's lines: the point λ will run (or why it cannot say yet), why it changed, and the calibration. */
export function PreviewLines({ idPrefix, live, choosing }: { idPrefix: string; live: Preview; choosing: boolean }) {
  const { preview } = live;
  const chosen = preview?.points.find((point) => point.id === preview.chosen);
  return (
    <>
      <p className="tradeoff-result" role="status">
        <span className="tradeoff-label">Will run</span>
        {live.error ? (
          <span className="error-line" data-testid={`${idPrefix}preview-error`}>
            {live.error}
          </span>
        ) : chosen && preview ? (
          <span className="tradeoff-point tradeoff-point-wrap" data-testid={`${idPrefix}preview-point`} data-point={chosen.id} data-lambda={preview.lambda.toFixed(2)} title={chosen.utility === null ? undefined : `utility ${chosen.utility.toFixed(3)} at λ ${preview.lambda.toFixed(2)}`}>
            {formatPlanPoint(chosen, preview.unit)}
          </span>
        ) : (
          <span className="tradeoff-hint" data-testid={`${idPrefix}preview-point`}>
            {choosing ? 'Choosing an operating point…' : preview ? 'Calibrate to see which point λ picks and what it costs here.' : 'Loading the family…'}
          </span>
        )}
      </p>
      {live.reason && (
        <p className="tradeoff-why" data-testid={`${idPrefix}choice-reason`}>
          {live.reason}
        </p>
      )}
      {preview?.note && <p className="tradeoff-why">{preview.note}</p>}
      <CalibrationLine idPrefix={idPrefix} live={live} progress={live.progress} />
    </>
  );
}
