import { useMemo, useState } from 'react';
import { formulaLines, methodNotes, PAPER, pointsTable, reportFigures, table1, type Report } from '../../../native/contract';
import { DownloadIcon, PlayIcon, StopIcon } from '../components/icons';
import { ReportFigureCard } from '../components/report/ReportFigureCard';
import { ReportTable } from '../components/report/ReportTable';
import { useCancelJob, useExportReport, useModels, useReport, useStartReport } from '../state/queries';

/** The families the installed packages belong to, text first. */
function useFamilies(): { family: string; kind: 'text' | 'image' }[] {
  const models = useModels();
  return useMemo(() => {
    const families = new Map<string, 'text' | 'image'>();
    for (const model of models.data ?? []) if (model.family) families.set(model.family, model.kind);
    return [...families].map(([family, kind]) => ({ family, kind })).sort((a, b) => (a.kind === b.kind ? a.family.localeCompare(b.family) : a.kind === 'text' ? -1 : 1));
  }, [models.data]);
}

function ReportProgress({ done, total, step }: { done: number; total: number; step: string | null }) {
  const percent = total > 0 ? Math.round((done / total) * 100) : 0;
  return (
    <div className="report-progress" data-testid="report-progress">
      <progress max={Math.max(total, 1)} value={done} aria-label="Report progress" />
      <span>
        {percent}% · {done}/{total} · {step ?? 'done'}
      </span>
    </div>
  );
}

function ReportExport({ report, folder }: { report: Report; folder: string | null }) {
  const [out, setOut] = useState('');
  const exportReport = useExportReport();
  return (
    <section className="card report-export" aria-label="Export">
      <p data-testid="report-folder">
        This run wrote its folder to <code>{folder}</code> (table1.md, table1.json, the seven figures as SVG and PNG, report.html).
      </p>
      <form
        className="report-export-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (out.trim()) exportReport.mutate({ report, out: out.trim() });
        }}
      >
        <label className="field report-export-field">
          <span className="field-label">Export the folder to</span>
          <input type="text" value={out} onChange={(event) => setOut(event.target.value)} placeholder="/path/to/folder" data-testid="report-export-path" />
        </label>
        <button type="submit" className="button" disabled={!out.trim() || exportReport.isPending} data-testid="report-export">
          <DownloadIcon /> Export
        </button>
      </form>
      {exportReport.isSuccess && <p data-testid="report-exported">Wrote {exportReport.data.files.length} files to <code>{exportReport.data.folder}</code>.</p>}
      {exportReport.isError && (
        <p className="error-line" role="alert" data-testid="report-export-error">
          {exportReport.error.message}
        </p>
      )}
    </section>
  );
}

function ReportResults({ report, folder }: { report: Report; folder: string | null }) {
  const figures = useMemo(() => reportFigures(report), [report]);
  const problems = [...report.problems, ...report.families.flatMap((family) => family.problems)];
  return (
    <div className="report-results" data-testid="report-results">
      <ReportExport report={report} folder={folder} />
      <section className="card">
        <ul className="report-notes">
          {methodNotes(report).map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
        {problems.length > 0 && (
          <ul className="report-problems" data-testid="report-problems">
            {problems.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        )}
      </section>
      {report.families.map((family) => (
        <section key={family.family} className="report-family" aria-label={family.family}>
          <h2 className="panel-title">
            {family.family} ({family.kind})
          </h2>
          <ReportTable table={table1(family)} testId={`report-table1-${family.family}`} />
          <details>
            <summary>Every operating point ({family.points.length})</summary>
            <ReportTable table={pointsTable(family)} testId={`report-points-${family.family}`} />
          </details>
        </section>
      ))}
      <section className="card">
        <h2 className="panel-title">Formulas</h2>
        <ul className="report-notes" data-testid="report-formulas">
          {formulaLines().map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      </section>
      {figures.map((figure) => (
        <ReportFigureCard key={figure.id} figure={figure} />
      ))}
    </div>
  );
}

/** The trade-off report: the paper's Table 1 and figures, measured here, with live progress and export. */
export function ReportView() {
  const families = useFamilies();
  const [chosen, setChosen] = useState<ReadonlySet<string> | null>(null);
  const [quick, setQuick] = useState(true);
  const [jobId, setJobId] = useState<string | null>(null);
  const start = useStartReport();
  const cancel = useCancelJob();
  const state = useReport(jobId);
  const selected = chosen ?? new Set(families.map((entry) => entry.family));
  const running = start.isPending || state?.status === 'running';

  function toggle(family: string) {
    const next = new Set(selected);
    if (next.has(family)) next.delete(family);
    else next.add(family);
    setChosen(next);
  }

  function run() {
    start.mutate({ families: [...selected], quick }, { onSuccess: ({ jobId: started }) => setJobId(started) });
  }

  return (
    <div className="page report-view">
      <header className="page-header">
        <div>
          <h1>Report</h1>
          <p className="page-lede">
            The trade-off of “{PAPER.title}” ({PAPER.citation}) measured on this device: every operating point of each family, timed together, with the quality its package declares.
          </p>
        </div>
      </header>
      <section className="card report-compose" aria-label="What to measure">
        <fieldset className="report-families" data-testid="report-families">
          <legend className="field-label">Families</legend>
          {families.map(({ family, kind }) => (
            <label key={family} className="report-family-choice">
              <input type="checkbox" checked={selected.has(family)} onChange={() => toggle(family)} disabled={running} /> {family} <span className="field-aside">{kind}</span>
            </label>
          ))}
        </fieldset>
        <label className="report-family-choice">
          <input type="checkbox" checked={quick} onChange={(event) => setQuick(event.target.checked)} disabled={running} data-testid="report-quick" /> Quick <span className="field-aside">fewer rounds and tokens: about a minute, a wider spread</span>
        </label>
        <div className="form-actions">
          <button type="button" className="button button-primary" onClick={run} disabled={running || selected.size === 0} data-testid="report-run">
            <PlayIcon /> Run report
          </button>
          <button type="button" className="button button-danger" onClick={() => jobId && cancel.mutate(jobId)} disabled={state?.status !== 'running'} data-testid="report-stop">
            <StopIcon /> Stop
          </button>
        </div>
        {state?.status === 'running' && <ReportProgress done={state.done} total={state.total} step={state.step} />}
        {start.isError && (
          <p className="error-line" role="alert" data-testid="report-error">
            {start.error.message}
          </p>
        )}
        {state?.error && (
          <p className="error-line" role="alert" data-testid="report-error">
            {state.error}
          </p>
        )}
      </section>
      {state?.report && <ReportResults report={state.report} folder={state.folder} />}
    </div>
  );
}
