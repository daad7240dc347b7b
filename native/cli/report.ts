import { EXECUTION_PROVIDERS, type ReportDoneEvent, type StudioEvent } from '../contract';
import { followJob } from '../host/follow-job';
import { defaultDataDir, defaultModelsDir } from '../host/paths';
import { StudioHost } from '../host/studio-host';
import { choiceOption, parseOptions } from './args';

const BAR_WIDTH = 28;

/** `[#######.............]  37%  412/1104  measuring …`: rewritten in place on a terminal, a line per tenth in a log. */
export function progressLine(done: number, total: number, step: string | null): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(share * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.round(share * 100)).padStart(3)}%  ${done}/${total}  ${step ?? 'done'}`;
}

function drawProgress(event: StudioEvent, state: { lastTenth: number }): void {
  if (event.type !== 'report-progress') return;
  const line = progressLine(event.done, event.total, event.step);
  if (process.stderr.isTTY) {
    const width = process.stderr.columns ? process.stderr.columns - 1 : 100;
    process.stderr.write(`\r${line.slice(0, width).padEnd(width)}${event.step ? '' : '\n'}`);
    return;
  }
  const tenth = Math.floor((event.done / Math.max(event.total, 1)) * 10);
  if (tenth > state.lastTenth || !event.step) {
    state.lastTenth = tenth;
    process.stderr.write(`pareto: report ${line}\n`);
  }
}

function summary(done: ReportDoneEvent): string {
  const problems = [...done.report.problems, ...done.report.families.flatMap((family) => family.problems)];
  const families = done.report.families.map((family) => `${family.family} (${family.points.length} points)`).join(', ');
  return [`Wrote the trade-off report for ${families || 'no family'} to ${done.folder}:`, `  ${done.files.join(' ')}`, ...problems.map((problem) => `  note: ${problem}`)].join('\n');
}

/** `pareto report`: measures every operating point of the families here and writes Table 1, the figures and report.html. */
export async function report(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    family: { type: 'string', multiple: true },
    out: { type: 'string' },
    quick: { type: 'boolean' },
    ep: { type: 'string' },
    json: { type: 'boolean' },
  });
  const ep = choiceOption('ep', values.ep, EXECUTION_PROVIDERS);
  const host = new StudioHost({ dataDir: defaultDataDir(), bundledModelsDir: defaultModelsDir() });
  const abort = new AbortController();
  const interrupt = () => abort.abort();
  process.once('SIGINT', interrupt);
  const state = { lastTenth: -1 };
  try {
    const done = await followJob(host, () => host.invoke('startReport', { families: values.family, out: values.out, quick: values.quick ?? false, ep }), {
      onEvent: (event) => drawProgress(event, state),
      resultOf: (event) => (event.type === 'report-done' ? event : undefined),
      signal: abort.signal,
    });
    process.stdout.write(values.json ? `${JSON.stringify({ folder: done.folder, files: done.files, report: done.report })}\n` : `${summary(done)}\n`);
    return 0;
  } finally {
    process.off('SIGINT', interrupt);
    await host.dispose();
  }
}
