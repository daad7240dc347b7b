import { useEffect, useRef } from 'react';
import type { ExecutionProvider } from '../../../native/contract';
import { FINISH_LABELS, describeUtility, epLabel, formatOperatingPoint } from '../format';
import type { JobState } from '../state/jobState';
import { BudgetNotice } from './BudgetNotice';
import { CopyButton } from './CopyButton';
import { OutputHeader } from './OutputHeader';

/** The run shown in the output panel: what was asked, and the job once the host accepted it. */
export interface Run {
  jobId: string | null;
  prompt: string;
  requestedEp: ExecutionProvider;
  /** The λ sent with the request; null when the model ran as set. */
  lambda: number | null;
}

interface Props {
  run: Run | null;
  job: JobState | undefined;
  active: boolean;
  errorMessage: string | null;
}

function statusText(run: Run, job: JobState | undefined): string | null {
  if (!run.jobId || !job) return run.lambda === null ? 'Starting…' : 'Choosing an operating point…';
  if (job.status === 'queued') return job.queuePosition ? `Queued, position ${job.queuePosition}` : 'Queued…';
  if (job.status === 'running') return job.tokenCount === 0 ? 'Reading the prompt…' : 'Generating…';
  return null;
}

export function OutputPanel({ run, job, active, errorMessage }: Props) {
  const bodyRef = useRef<HTMLDivElement>(null);
  const text = job?.text ?? '';

  useEffect(() => {
    const body = bodyRef.current;
    // Follow the growing text only while the reader is already at the bottom.
    if (body && body.scrollHeight - body.scrollTop - body.clientHeight < 80) body.scrollTop = body.scrollHeight;
  }, [text]);

  const finishReason = job?.result?.finishReason;
  const status = run && active ? statusText(run, job) : null;
  const point = run ? (job?.config?.operatingPoint ?? null) : null;

  return (
    <section className="output-panel" aria-label="Output">
      <OutputHeader
        title="Story"
        point={point && { lambda: point.lambda, text: formatOperatingPoint(point), title: describeUtility(point), testId: 'output-operating-point' }}
        actions={run && <CopyButton className="button button-quiet" testId="copy-button" label="Copy" title="Copy the story (prompt and continuation)" text={run.prompt + text} disabled={active || text === ''} />}
      >
        {!point && job?.model && (
          <span className="chip chip-muted" data-testid="output-model" title="Picked by hand: λ is off for this run">
            {job.model} · as picked
          </span>
        )}
        {status && <span className="output-status">{status}</span>}
        {finishReason && (
          <span className={`badge badge-${finishReason}`} data-testid="finish-reason" data-reason={finishReason}>
            {FINISH_LABELS[finishReason]}
          </span>
        )}
      </OutputHeader>

      {run && job?.fallbackReason && (
        <p className="fallback-notice" role="status" data-testid="fallback-notice" title={job.ep ? `This run used ${epLabel(job.ep)}` : undefined}>
          {epLabel(run.requestedEp)} unavailable: {job.fallbackReason}
        </p>
      )}
      {run && <BudgetNotice budget={job?.config?.budget} />}
      {errorMessage && (
        <p className="error-line" role="alert" data-testid="error-message">
          {errorMessage}
        </p>
      )}

      {/* Focusable so the keyboard can scroll a long story (arrows, Page Up/Down). */}
      <div className="output-body" ref={bodyRef} tabIndex={0} role="region" aria-label="Story text" data-testid="output-body">
        {run ? (
          <p className="story">
            <span className="story-prompt">{run.prompt}</span>
            <span data-testid="output-text">{text}</span>
            {active && <span className="caret" aria-hidden="true" />}
          </p>
        ) : (
          <p className="output-empty">Write the beginning of a story and press Generate (Ctrl+Enter). The continuation appears here as it is written.</p>
        )}
      </div>
    </section>
  );
}
