import fs from 'node:fs';
import path from 'node:path';
import { ApiError, formulaLines, methodNotes, PAPER, pointsTable, REPORT_FORMULAS, reportFigures, table1, type Report, type ReportFolder, type Table } from '../../contract';
import { writeFileAtomic } from '../../shared/atomic-file';
import { figureSvg, findFont, svgToPng } from './figure-images';


const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const markdownCell = (text: string) => text.replace(/\|/g, '\\|');

function markdownTable(table: Table): string {
  const lines = [`| ${table.header.map(markdownCell).join(' | ')} |`, `|${table.header.map(() => '---').join('|')}|`, ...table.rows.map((row) => `| ${row.map(markdownCell).join(' | ')} |`)];
  return `### ${table.caption}\n\n${lines.join('\n')}\n`;
}

function htmlTable(table: Table): string {
  const head = table.header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('');
  const body = table.rows.map((row) => `<tr>${row.map((cell, index) => (index === 0 ? `<th scope="row">${escapeHtml(cell)}</th>` : `<td>${escapeHtml(cell)}</td>`)).join('')}</tr>`).join('\n');
  return `<table><caption>${escapeHtml(table.caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const allProblems = (report: Report) => [...report.problems, ...report.families.flatMap((family) => family.problems)];

/** table1.md: the paper's Table 1 per family, every point, how it was measured and by which formulas. */
export function table1Markdown(report: Report): string {
  const problems = allProblems(report);
  return [
    `# Trade-off report — Table 1 on ${report.device}\n`,
    `After “${PAPER.title}” (${PAPER.citation}).\n`,
    ...methodNotes(report).map((line) => `- ${line}`),
    '',
    ...(problems.length ? ['## Problems\n', ...problems.map((line) => `- ${line}`), ''] : []),
    ...report.families.flatMap((family) => [`## ${family.family} (${family.kind})\n`, markdownTable(table1(family)), markdownTable(pointsTable(family))]),
    '## Formulas\n',
    ...formulaLines().map((line) => `- ${line}`),
    '',
  ].join('\n');
}

/** table1.json: the report as the contract has it, with the formulas and the paper it follows. */
export function table1Json(report: Report): string {
  return `${JSON.stringify({ paper: PAPER, formulas: REPORT_FORMULAS, ...report }, null, 2)}\n`;
}

/** report.html: one page with everything, the figures inline, nothing fetched. */
export function reportHtml(report: Report, svgs: ReadonlyMap<string, string>): string {
  const figures = reportFigures(report)
    .map((figure) => `<figure id="${figure.id}">${svgs.get(figure.id) ?? ''}<figcaption><strong>${escapeHtml(figure.title)}.</strong> ${escapeHtml(figure.caption)}</figcaption></figure>`)
    .join('\n');
  const problems = allProblems(report);
  const list = (items: string[]) => `<ul>${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
  const style = `body{font:14px/1.45 "DejaVu Sans",Helvetica,Arial,sans-serif;color:#1b1b1b;max-width:1200px;margin:24px auto;padding:0 16px}
table{border-collapse:collapse;margin:12px 0 24px;font-size:12px}caption{text-align:left;font-weight:bold;margin-bottom:6px}
th,td{border:1px solid #d0d0d0;padding:4px 6px;text-align:left;vertical-align:top}thead th{background:#f2f2f2}
figure{margin:24px 0}figure svg{max-width:100%;height:auto}figcaption{font-size:12px;color:#444}.problems{color:#a04000}code{font-size:12px}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Trade-off report — ${escapeHtml(report.device)}</title><style>${style}</style></head>
<body>
<h1>Trade-off report</h1>
<p>After “${escapeHtml(PAPER.title)}” (${escapeHtml(PAPER.citation)}).</p>
${list(methodNotes(report))}
${problems.length ? `<h2>Problems</h2><div class="problems">${list(problems)}</div>` : ''}
${report.families.map((family) => `<h2>${escapeHtml(family.family)} (${family.kind})</h2>${htmlTable(table1(family))}${htmlTable(pointsTable(family))}`).join('\n')}
<h2>Formulas</h2>
${list(formulaLines())}
<h2>Figures</h2>
${figures}
</body></html>
`;
}

/** Refuses a folder that cannot be written before anything is measured, so no measurement is lost to it. */
export function checkWritable(folder: string): void {
  try {
    fs.mkdirSync(folder, { recursive: true });
    fs.accessSync(folder, fs.constants.W_OK);
  } catch (error) {
    throw new ApiError('bad_request', `The report cannot be written to ${folder}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}. Choose another folder with --out.`);
  }
}

/** The tables alone, written after each family so a run that stops later keeps what it measured. */
export function writeTables(folder: string, report: Report): string[] {
  writeFileAtomic(path.join(folder, 'table1.md'), table1Markdown(report));
  writeFileAtomic(path.join(folder, 'table1.json'), table1Json(report));
  return ['table1.md', 'table1.json'];
}

/** Everything: the tables, each figure as SVG and PNG, and report.html. A missing font costs the PNGs only, and says so. */
export async function writeReport(folder: string, made: Report): Promise<ReportFolder & { report: Report }> {
  checkWritable(folder);
  const font = findFont();
  const report = font ? made : { ...made, problems: [...made.problems, 'The PNG figures were not written: no font was found for them (set PARETO_REPORT_FONT to a .ttf file); the SVGs and report.html are complete.'] };
  const files = writeTables(folder, report);
  const svgs = new Map<string, string>();
  for (const figure of reportFigures(report)) {
    const svg = await figureSvg(figure);
    svgs.set(figure.id, svg);
    writeFileAtomic(path.join(folder, `${figure.id}.svg`), svg);
    files.push(`${figure.id}.svg`);
    if (font) {
      writeFileAtomic(path.join(folder, `${figure.id}.png`), await svgToPng(svg, font));
      files.push(`${figure.id}.png`);
    }
  }
  writeFileAtomic(path.join(folder, 'report.html'), reportHtml(report, svgs));
  files.push('report.html');
  return { folder, files, report };
}
