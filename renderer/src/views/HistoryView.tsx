import { useState, type ReactNode } from 'react';
import type { HistoryItem, HistoryKind } from '../../../native/contract';
import { HistoryDetail } from '../components/HistoryDetail';
import { formatWhen } from '../format';
import { isPixelArt } from '../images/imageForm';
import { useHistory } from '../state/queries';
import type { Restore } from '../state/restore';
import { ViewStatus } from './ViewStatus';

const PAGE_SIZE = 40;

/** Every story and image the host kept, newest first: search, filter, reopen, delete, find the file. */
export function HistoryView({ onReopen }: { onReopen: (content: Restore) => void }) {
  const [search, setSearch] = useState('');
  const [kind, setKind] = useState<'' | HistoryKind>('');
  const [model, setModel] = useState('');
  const [limit, setLimit] = useState(PAGE_SIZE);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const history = useHistory({ search: search.trim() || undefined, kind: kind || undefined, model: model || undefined, limit });
  const page = history.data;
  const entries = page?.entries ?? [];
  const images = entries.filter((entry): entry is HistoryItem & { kind: 'image' } => entry.kind === 'image');
  const stories = entries.filter((entry): entry is HistoryItem & { kind: 'text' } => entry.kind === 'text');
  const selected = entries.find((entry) => entry.id === selectedId) ?? null;

  return (
    <div className="page history-page">
      <header className="page-header">
        <div>
          <h1>History</h1>
          <p className="page-lede">Every story and image you made, with the settings and costs it ran at. Reopen one to make it again, or drop a PNG anywhere on the window to restore its settings.</p>
        </div>
      </header>
      <div className="history-filters" role="search">
        <label className="visually-hidden" htmlFor="history-search">
          Search prompts and stories
        </label>
        <input id="history-search" data-testid="history-search" type="search" placeholder="Search prompts and stories" value={search} onChange={(event) => setSearch(event.target.value)} />
        <label className="visually-hidden" htmlFor="history-kind">
          Kind
        </label>
        <select id="history-kind" data-testid="history-kind" value={kind} onChange={(event) => setKind(event.target.value as '' | HistoryKind)}>
          <option value="">Stories and images</option>
          <option value="text">Stories</option>
          <option value="image">Images</option>
        </select>
        <label className="visually-hidden" htmlFor="history-model">
          Model
        </label>
        <select id="history-model" data-testid="history-model" value={model} onChange={(event) => setModel(event.target.value)}>
          <option value="">Every model</option>
          {(page?.models ?? []).map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
        {page && (
          <span className="history-count" data-testid="history-count" aria-live="polite">
            {page.total === 1 ? '1 output' : `${page.total} outputs`}
          </span>
        )}
      </div>
      {page?.notice && (
        <p className="banner banner-warn" role="alert" data-testid="history-notice">
          {page.notice}
        </p>
      )}
      {history.isPending && <ViewStatus>Loading history…</ViewStatus>}
      {history.isError && <ViewStatus error>{history.error.message}</ViewStatus>}
      {page && page.total === 0 && <ViewStatus>{search || kind || model ? 'Nothing matches these filters.' : 'Nothing made yet: stories and images you generate are kept here.'}</ViewStatus>}
      {entries.length > 0 && (
        <div className="history-body">
          <div className="history-results">
            <HistorySection title="Images" listClass="history-gallery" entries={images}>
              {(entry) => <HistoryThumbnail entry={entry} selected={entry.id === selectedId} onSelect={() => setSelectedId(entry.id)} />}
            </HistorySection>
            <HistorySection title="Stories" listClass="history-stories" entries={stories}>
              {(entry) => (
                <button type="button" className="history-story-item" data-testid="history-story" aria-pressed={entry.id === selectedId} onClick={() => setSelectedId(entry.id)}>
                  <span className="history-story-prompt">{entry.prompt || '(no prompt)'}</span>
                  <span className="history-story-excerpt">{entry.text.slice(0, 160)}</span>
                  <span className="history-meta">
                    {formatWhen(entry.createdAt)} · {entry.model}
                  </span>
                </button>
              )}
            </HistorySection>
            {page && page.total > entries.length && (
              <button type="button" className="button" data-testid="history-more" onClick={() => setLimit((current) => current + PAGE_SIZE)}>
                Show more ({page.total - entries.length} older)
              </button>
            )}
          </div>
          <HistoryDetail entry={selected} onReopen={onReopen} onDeleted={() => setSelectedId(null)} />
        </div>
      )}
    </div>
  );
}

/** A titled list of entries of one kind; nothing when there are none. */
function HistorySection<E extends HistoryItem>({ title, listClass, entries, children }: { title: string; listClass: string; entries: E[]; children: (entry: E) => ReactNode }) {
  if (entries.length === 0) return null;
  return (
    <section aria-label={title}>
      <h2 className="panel-title">{title}</h2>
      <ul className={listClass}>
        {entries.map((entry) => (
          <li key={entry.id}>{children(entry)}</li>
        ))}
      </ul>
    </section>
  );
}

function HistoryThumbnail({ entry, selected, onSelect }: { entry: HistoryItem & { kind: 'image' }; selected: boolean; onSelect: () => void }) {
  return (
    <button type="button" className="history-thumb" data-testid="history-image" aria-pressed={selected} title={entry.prompt} onClick={onSelect}>
      {entry.thumbnail ? <img src={`data:image/png;base64,${entry.thumbnail}`} alt={entry.prompt} className={isPixelArt(entry.width, entry.height) ? 'pixelated' : undefined} /> : <span className="history-missing">file missing</span>}
      <span className="history-thumb-caption">{entry.prompt || '(no prompt)'}</span>
    </button>
  );
}
