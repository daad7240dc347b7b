import { PAPER, REPORT_FORMULAS, type FamilyReport, type Report, type ReportPoint, type Spread } from './report';
import { pointLabel } from './report-figures';

/** A table as cells, rendered once as Markdown (table1.md) and once as HTML (report.html). */
export interface Table {
  caption: string;
  header: string[];
  rows: string[][];
}

const fixed = (value: number | null, digits: number) => (value === null ? '–' : value.toFixed(digits));
const digitsFor = (value: number) => (value >= 100 ? 1 : value >= 10 ? 2 : value >= 1 ? 3 : 4);
const spreadText = (spread: Spread) => `${fixed(spread.median, digitsFor(spread.median))} (${fixed(spread.low, digitsFor(spread.low))}–${fixed(spread.high, digitsFor(spread.high))})`;

function energyText(point: ReportPoint): string {
  const { perOutput, source, estimated, estimateRange } = point.energy;
  if (!perOutput) return 'not measured (no energy reader)';
  const range = estimateRange ? `, may be ${fixed(estimateRange.low, digitsFor(estimateRange.low))}–${fixed(estimateRange.high, digitsFor(estimateRange.high))}` : '';
  return `${spreadText(perOutput)} ${estimated ? 'estimated' : 'measured'} (${source}${range})`;
}

/** The point standing for a model in Table 1: its largest file (full precision, full depth), the best declared quality first. */
function representative(points: readonly ReportPoint[]): ReportPoint {
  return [...points].sort((a, b) => b.bytes - a.bytes || (a.quality?.value ?? Infinity) - (b.quality?.value ?? Infinity))[0]!;
}

/** Teacher first, then each student, each at its full point. */
export function table1Columns(family: FamilyReport): ReportPoint[] {
  const models = [...new Set(family.points.map((point) => point.model))];
  const columns = models.map((model) => representative(family.points.filter((point) => point.model === model)));
  return columns.sort((a, b) => Number(b.role === 'teacher') - Number(a.role === 'teacher') || b.bytes - a.bytes);
}

/** The paper's Table 1 for one family: a row per measure, a column per model, the paper's values beside ours. */
export function table1(family: FamilyReport): Table {
  const columns = table1Columns(family);
  const unknown = 'unknown (not declared)';
  const row = (label: string, cell: (point: ReportPoint) => string): string[] => [label, ...columns.map(cell), PAPER.notStated];
  return {
    caption: `Table 1 — ${family.family}: teacher vs students on this device (each model at its full point; every point below)`,
    header: ['measure', ...columns.map((point) => `${point.role ?? 'model'}: ${pointLabel(family, point)}`), `paper (${PAPER.citation})`],
    rows: [
      row('parameters (pareto.json)', (point) => (point.parameters === null ? 'not declared' : point.parameters.toLocaleString('en-US'))),
      row(`complexity (${family.complexityMeasure})`, (point) => (point.complexity === null ? 'not declared' : Math.round(point.complexity).toLocaleString('en-US'))),
      row('size on disk (MB)', (point) => fixed(point.bytes / 1e6, 2)),
      row('compression ratio (× vs teacher)', (point) => `${fixed(point.compressionRatio, 2)}×`),
      row(`latency (${family.unit}, median (min–max))`, (point) => spreadText(point.cost)),
      row(`throughput (${family.output}s/s)`, (point) => fixed(point.throughput, digitsFor(point.throughput))),
      row(`quality (${family.qualityMeasure}, lower is better)`, (point) => (point.quality ? point.quality.value.toFixed(4) : unknown)),
      row(family.coherenceMeasure === 'repetition' ? 'coherence (repetition, lower is better)' : 'faithfulness (classifier accuracy, higher is better)', (point) => fixed(point.quality?.coherence ?? null, 4)),
      row(`energy per sample (J/${family.output})`, energyText),
      row('peak memory (MB, studio process RSS)', (point) => fixed(point.peakRssMb, 0)),
      row('Pareto score (U at λ = 0.5)', (point) => (point.paretoScore === null ? unknown : point.paretoScore.toFixed(3))),
      row('deployability D(C)', (point) => point.deployability.score.toFixed(3)),
      row('ATEI-style index I(C)', (point) => (point.index === null ? unknown : point.index.toFixed(3))),
    ],
  };
}

/** Every operating point measured, with the front marked. */
export function pointsTable(family: FamilyReport): Table {
  return {
    caption: `Every operating point of ${family.family} (* on the Pareto front)`,
    header: ['point', 'bytes (MB)', 'compression', `${family.unit} median (min–max)`, `${family.output}s/s`, family.qualityMeasure, family.coherenceMeasure, `J/${family.output}`, 'peak RSS MB', 'Q/Qmax', 'E', 'Pareto score', 'D', 'index'],
    rows: family.points.map((point) => [
      `${point.onFront ? '* ' : ''}${point.id}`,
      fixed(point.bytes / 1e6, 2),
      `${fixed(point.compressionRatio, 2)}×`,
      spreadText(point.cost),
      fixed(point.throughput, digitsFor(point.throughput)),
      point.quality ? point.quality.value.toFixed(4) : 'unknown',
      fixed(point.quality?.coherence ?? null, 4),
      point.energy.perOutput ? `${spreadText(point.energy.perOutput)}${point.energy.estimated ? ' est.' : ''}` : '–',
      fixed(point.peakRssMb, 0),
      fixed(point.qualityRatio, 4),
      fixed(point.efficiency, 3),
      fixed(point.paretoScore, 3),
      fixed(point.deployability.score, 3),
      fixed(point.index, 3),
    ]),
  };
}

/** What was measured how, in sentences: the conditions, the sources, the formulas. */
export function methodNotes(report: Report): string[] {
  const mode = report.quick ? 'quick mode (fewer rounds and tokens: a wider spread)' : 'full mode';
  return [
    `Measured on ${report.device} (${report.ep}, ${Math.round(report.memoryMb).toLocaleString('en-US')} MB of memory) at ${report.createdAt}, ${mode}.`,
    ...report.families.map((family) => `${family.family}: one warm-up round, then ${family.repeats} interleaved rounds over its ${family.points.length} points${family.tokens ? `, ${family.tokens} new tokens per run` : ', one image per run'}; each run measured as the profiler measures a generation.`),
    `Quality is what each package declares in pareto.json (measured offline by the recipes); cost, memory and energy are measured here. Energy labelled "estimated" comes from the CPU-time model, never from a meter.`,
    `The paper (“${PAPER.title}”, ${PAPER.citation}) gives the method and the formulas; its measured values are not part of this studio's material, so its column says "${PAPER.notStated}".`,
  ];
}

export const formulaLines = (): string[] => Object.values(REPORT_FORMULAS);
