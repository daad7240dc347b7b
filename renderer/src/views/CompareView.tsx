import { useRef, useState, type KeyboardEvent, type UIEvent } from 'react';
import { ComparePaneCard } from '../components/compare/ComparePaneCard';
import { ImageWipe } from '../components/compare/ImageWipe';
import { ModeEditor } from '../components/compare/ModeEditor';
import { DownloadIcon, PlayIcon, StopIcon } from '../components/icons';
import { buildCompareRequest, DEFAULT_MODES, initialCompareForm, type CompareForm } from '../compare/compareForm';
import { compareGridBlob, compareGridImage, compareJsonBlob, exportName } from '../compare/exportCompare';
import { saveBlob } from '../saveBlob';
import { isCompareActive } from '../state/compareState';
import { useCancelJob, useCompare, useModels, useStartCompare } from '../state/queries';

const KINDS = [
  { kind: 'text', label: 'Stories' },
  { kind: 'image', label: 'Images' },
] as const;
const ZOOMS = [2, 4, 8] as const;

/** Scrolls every text pane to the same place as the one the reader scrolls, so the stories stay side by side. */
function useAlignedScroll() {
  const bodies = useRef(new Map<number, HTMLDivElement>());
  const syncing = useRef(false);
  const register = (index: number) => (element: HTMLDivElement | null) => {
    if (element) bodies.current.set(index, element);
    else bodies.current.delete(index);
  };
  const onScroll = (index: number) => (event: UIEvent<HTMLDivElement>) => {
    if (syncing.current) return;
    const source = event.currentTarget;
    const fraction = source.scrollTop / Math.max(1, source.scrollHeight - source.clientHeight);
    syncing.current = true;
    for (const [other, element] of bodies.current) if (other !== index) element.scrollTop = fraction * (element.scrollHeight - element.clientHeight);
    requestAnimationFrame(() => (syncing.current = false));
  };
  return { register, onScroll };
}

export function CompareView() {
  const models = useModels();
  const [form, setForm] = useState<CompareForm>(initialCompareForm);
  const [compareId, setCompareId] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const [zoom, setZoom] = useState<number>(4);
  const start = useStartCompare();
  const cancel = useCancelJob();
  const compare = useCompare(compareId);
  const aligned = useAlignedScroll();
  const active = start.isPending || isCompareActive(compare);
  const kindModels = (models.data ?? []).filter((model) => model.kind === form.kind);
  const result = compare?.result ?? null;
  const shownKind = compare?.kind ?? form.kind;

  function run() {
    if (active) return;
    const built = buildCompareRequest(form);
    setFormError(built.ok ? null : built.message);
    if (!built.ok) return;
    cancel.reset();
    setExportError(null);
    start.mutate(built.request, { onSuccess: ({ jobId }) => setCompareId(jobId) });
  }

  function stop() {
    if (compareId && isCompareActive(compare)) cancel.mutate(compareId);
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
    if (event.key === 'Escape' && isCompareActive(compare)) {
      event.preventDefault();
      stop();
    }
  }

  async function exportPng() {
    if (!result) return;
    try {
      saveBlob(await compareGridImage(result), exportName(result, '.png'));
    } catch (error) {
      setExportError(`The PNG could not be made: ${(error as Error).message}`);
    }
  }

  const grid = result ? compareGridBlob(result) : null;
  const errorMessage = formError ?? start.error?.message ?? compare?.error ?? cancel.error?.message ?? exportError;

  return (
    <div className="compare-view" onKeyDown={onKeyDown}>
      <header className="toolbar compare-toolbar">
        <h1 className="view-title">Compare</h1>
        <div className="segmented" role="radiogroup" aria-label="What to compare" data-testid="compare-kind">
          {KINDS.map(({ kind, label }) => (
            <label key={kind} className="segment">
              <input type="radio" name="compare-kind" value={kind} checked={form.kind === kind} disabled={active} onChange={() => setForm((current) => ({ ...current, kind, modes: DEFAULT_MODES }))} />
              <span>{label}</span>
            </label>
          ))}
        </div>
        <span className="spacer" />
        <div className="compare-exports" role="group" aria-label="Export the comparison">
          <button type="button" className="button" disabled={!result} onClick={() => result && saveBlob(compareJsonBlob(result), exportName(result, '.json'))} data-testid="compare-export-json" title="Every figure of every pane, as JSON">
            <DownloadIcon />
            JSON
          </button>
          <button type="button" className="button" disabled={!result} onClick={() => void exportPng()} data-testid="compare-export-png" title="One PNG of the panes with their figures">
            <DownloadIcon />
            PNG
          </button>
          {shownKind === 'image' && (
            <button type="button" className="button" disabled={!grid} onClick={() => grid && result && saveBlob(grid, exportName(result, '-grid.png'))} data-testid="compare-export-grid" title="The images side by side with their parameters in the PNG (A1111 grid)">
              <DownloadIcon />
              Grid PNG
            </button>
          )}
        </div>
      </header>

      <section className="compare-compose" aria-label="Comparison">
        <div className="compare-prompt">
          <label className="field-label" htmlFor="compare-prompt">
            Prompt <span className="field-aside">the same for every pane</span>
          </label>
          <textarea id="compare-prompt" data-testid="compare-prompt" rows={2} value={form.prompt} placeholder={form.kind === 'text' ? 'Once upon a time…' : 'a smiling face'} onChange={(event) => setForm({ ...form, prompt: event.target.value })} />
          <div className="compare-fields">
            <label className="field">
              <span className="field-label">Seed</span>
              <input type="number" min={0} value={form.seed} onChange={(event) => setForm({ ...form, seed: event.target.value })} data-testid="compare-seed" />
            </label>
            {form.kind === 'text' && (
              <label className="field">
                <span className="field-label">Max new tokens</span>
                <input type="number" min={1} value={form.maxNewTokens} onChange={(event) => setForm({ ...form, maxNewTokens: event.target.value })} data-testid="compare-max-tokens" />
              </label>
            )}
          </div>
        </div>
        <ModeEditor form={form} models={kindModels} disabled={active} onChange={(modes) => setForm({ ...form, modes })} />
        <div className="compare-actions">
          <button type="button" className="button button-primary" onClick={run} disabled={active || kindModels.length === 0} data-testid="compare-button" title="Run every mode, one after another (Ctrl/Cmd+Enter)">
            <PlayIcon />
            {start.isPending ? 'Checking modes…' : active ? 'Comparing…' : 'Compare'}
          </button>
          <button type="button" className="button button-danger" onClick={stop} disabled={!isCompareActive(compare) || cancel.isPending} data-testid="compare-stop" title="Stop the running pane and skip the rest (Esc)">
            <StopIcon />
            Stop
          </button>
        </div>
      </section>
      {errorMessage && (
        <p className="error-line compare-error" role="alert" data-testid="compare-error">
          {errorMessage}
        </p>
      )}

      {compare ? (
        <section className="compare-results" aria-label="Panes" data-testid="compare-results" data-state={compare.status}>
          {compare.kind === 'image' && (
            <div className="compare-image-tools">
              <span className="field-label" id="compare-zoom-label">
                Zoom
              </span>
              <div className="segmented" role="radiogroup" aria-labelledby="compare-zoom-label">
                {ZOOMS.map((value) => (
                  <label key={value} className="segment">
                    <input type="radio" name="compare-zoom" checked={zoom === value} onChange={() => setZoom(value)} />
                    <span>{value}×</span>
                  </label>
                ))}
              </div>
            </div>
          )}
          <div className="compare-panes" style={{ gridTemplateColumns: `repeat(${compare.panes.length}, minmax(0, 1fr))` }}>
            {compare.panes.map((pane) => (
              <ComparePaneCard key={pane.index} kind={compare.kind} prompt={compare.prompt} pane={pane} final={result?.panes[pane.index]} zoom={zoom} bodyRef={aligned.register(pane.index)} onScroll={aligned.onScroll(pane.index)} />
            ))}
          </div>
          {result && compare.kind === 'image' && <ImageWipe panes={result.panes} zoom={zoom * 2} />}
        </section>
      ) : (
        <p className="compare-empty output-empty">Pick 2 to 4 modes — λ values or points set by hand — and compare them on one prompt and seed. Each pane runs in turn, so its cost is its own.</p>
      )}
    </div>
  );
}
