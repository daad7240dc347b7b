import { useState } from 'react';
import type { HistoryItem } from '../../../native/contract';
import { FINISH_LABELS, formatImageOperatingPoint, formatWhen, formatLayers, formatNumber, formatOperatingPoint, formatSecondsPerImage } from '../format';
import { enlargeClass, parameterRows } from '../images/imageForm';
import { useDeleteHistoryEntry, useHistoryEntry, useSettings } from '../state/queries';
import type { Restore } from '../state/restore';
import { CopyButton } from './CopyButton';

interface Row {
  label: string;
  value: string;
}

function energyRow(energyJ: number | null, source: string | null): Row {
  if (energyJ === null) return { label: 'Energy', value: 'not measured' };
  return { label: 'Energy', value: `${formatNumber(energyJ, 2)} J${source?.startsWith('estimated') ? ' (estimated)' : source ? ` (${source})` : ''}` };
}

/** What ran and what it cost, as rows. */
function detailRows(entry: HistoryItem): Row[] {
  if (entry.kind === 'text') {
    const { config, metrics } = entry;
    return [
      ...(config.operatingPoint ? [{ label: 'λ chose', value: formatOperatingPoint(config.operatingPoint) }] : []),
      { label: 'Precision · depth', value: `${config.precision} · ${config.depth === null ? 'full depth' : formatLayers(config.depth)}` },
      { label: 'Decoding', value: config.doSample ? `sampled, T ${config.temperature}, top-k ${config.topK}, top-p ${config.topP}${config.seed === null ? '' : `, seed ${config.seed}`}` : 'greedy' },
      { label: 'Tokens', value: `${metrics.generatedTokens} · ${FINISH_LABELS[entry.finishReason]}` },
      { label: 'TTFT', value: `${formatNumber(metrics.ttftMs)} ms` },
      { label: 'Per token', value: `${formatNumber(metrics.msPerToken, 2)} ms · ${formatNumber(metrics.tokensPerSecond)} tok/s` },
      { label: 'Peak memory', value: `${formatNumber(metrics.peakRssMb, 0)} MB` },
      energyRow(metrics.energyJ, metrics.energySource),
    ];
  }
  return [
    ...(entry.operatingPoint ? [{ label: 'λ chose', value: formatImageOperatingPoint(entry.operatingPoint) }] : []),
    ...parameterRows(entry.parameters),
    { label: 'Time', value: `${formatSecondsPerImage(entry.metrics.sPerImage)} · ${formatNumber(entry.metrics.msPerStep)} ms/step` },
    { label: 'Peak memory', value: `${formatNumber(entry.metrics.peakRssMb, 0)} MB` },
    energyRow(entry.metrics.energyJ, entry.metrics.energySource),
  ];
}

function restoreContent(entry: HistoryItem): Restore {
  return entry.kind === 'text' ? { kind: 'text', request: entry.request, prompt: entry.prompt } : { kind: 'image', parameters: entry.parameters, source: 'history' };
}

/** One kept output in full: reopen it, delete it, or copy where its file lives. */
export function HistoryDetail({ entry, onReopen, onDeleted }: { entry: HistoryItem | null; onReopen: (content: Restore) => void; onDeleted: () => void }) {
  const remove = useDeleteHistoryEntry();
  // The list carries thumbnails; the full PNG comes with the entry itself.
  const full = useHistoryEntry(entry?.kind === 'image' ? entry.id : null);
  const [confirming, setConfirming] = useState<string | null>(null);
  if (!entry) {
    return (
      <aside className="card history-detail history-detail-empty" aria-label="Selected output">
        <p>Pick a story or an image to see what it ran at, reopen it or delete it.</p>
      </aside>
    );
  }
  const target = entry.kind === 'text' ? 'Generate' : 'Images';
  const deleting = confirming === entry.id;
  return (
    <aside className="card history-detail" aria-label="Selected output" data-testid="history-detail">
      <div className="history-detail-head">
        <span className="chip chip-muted">{entry.kind === 'text' ? 'story' : 'image'}</span>
        <span className="history-meta">
          {formatWhen(entry.createdAt)} · {entry.model}
        </span>
      </div>
      {entry.kind === 'image' && <DetailImage entry={entry} png={full.data?.png ?? entry.thumbnail} missing={full.isSuccess && full.data.png === null} />}
      {entry.kind === 'text' ? (
        <div className="history-detail-story story" tabIndex={0} role="region" aria-label="Story text" data-testid="history-detail-text">
          <span className="story-prompt">{entry.prompt}</span>
          {entry.text}
        </div>
      ) : (
        <p className="history-detail-prompt">{entry.prompt}</p>
      )}
      <dl className="history-detail-rows">
        {detailRows(entry).map((row) => (
          <div key={row.label}>
            <dt>{row.label}</dt>
            <dd>{row.value}</dd>
          </div>
        ))}
      </dl>
      <p className="history-path" data-testid="history-path" title={entry.path}>
        {entry.path}
      </p>
      <div className="history-actions">
        <button type="button" className="button button-primary" data-testid="history-reopen" title={`Put the prompt and every setting back into the ${target} view`} onClick={() => onReopen(restoreContent(entry))}>
          Reopen in {target}
        </button>
        <CopyButton testId="history-copy-path" label="Copy path" title={entry.kind === 'image' ? 'Copy where the PNG file is' : 'Copy where the history file is'} text={entry.path} />
        {deleting ? (
          <button
            type="button"
            className="button button-danger"
            data-testid="history-delete-confirm"
            disabled={remove.isPending}
            onClick={() =>
              remove.mutate(entry.id, {
                onSuccess: () => {
                  setConfirming(null);
                  onDeleted();
                },
              })
            }
          >
            Delete for good
          </button>
        ) : (
          <button type="button" className="button button-danger" data-testid="history-delete" title={entry.kind === 'image' ? 'Delete this entry and its PNG file' : 'Delete this entry'} onClick={() => setConfirming(entry.id)}>
            Delete
          </button>
        )}
      </div>
      {remove.error && (
        <p className="inline-error" role="alert">
          {remove.error.message}
        </p>
      )}
    </aside>
  );
}

function DetailImage({ entry, png, missing }: { entry: HistoryItem & { kind: 'image' }; png: string | null; missing: boolean }) {
  const scaling = useSettings().data?.imageScaling ?? 'crisp';
  if (missing || !png) return <p className="error-line">{missing ? `The image file is missing: ${entry.path}` : 'Loading the image…'}</p>;
  return <img className={`history-detail-image${enlargeClass(scaling, entry.width, entry.height)}`} src={`data:image/png;base64,${png}`} alt={entry.prompt || 'Generated image'} data-testid="history-detail-image" />;
}
