import type { FamilyReport, Report, ReportPoint } from './report';

/**
 * The report's seven figures as ECharts options: pure functions of the report, used by the Report
 * view (canvas, in the browser) and by the files (SVG rendered on the server, PNG from that SVG), so
 * both draw the same chart. It lives in the contract because that is the one room the renderer and
 * the host may both import; it imports no chart library (the contract imports only zod), so the
 * options are typed structurally here and checked against ECharts' own types where they are drawn.
 * Each family gets its own panel: their units differ (ms/token against s/image, bits/byte against
 * Fréchet distance), and one axis for both would hide that.
 */

export type FigureOption = Record<string, unknown>;

export interface ReportFigure {
  /** fig1-… to fig7-…: the file name stem as well. */
  id: string;
  title: string;
  caption: string;
  width: number;
  height: number;
  option: FigureOption;
}

const WIDTH = 960;
const HEIGHT = 460;
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const MODEL_COLOURS = ['#c0392b', '#2471a3', '#239b56', '#b9770e', '#7d3c98', '#17a589'];
const LAMBDA_COLOURS = ['#1f618d', '#b9770e', '#7d3c98'];
const PRECISION_SYMBOLS: Record<string, string> = { fp32: 'circle', fp16: 'triangle', int8: 'diamond', q4: 'rect' };
const SYMBOL_KEY = 'symbol: ● fp32, ▲ fp16, ◆ int8, ■ q4';

/** The model's name within its family ("teacher", "student-s"), for labels that must stay short. */
export function shortModel(family: string, model: string): string {
  return model.startsWith(`${family}-`) ? model.slice(family.length + 1) : model;
}

export function pointLabel(family: FamilyReport, point: ReportPoint): string {
  const knob = point.depth !== null ? `d${point.depth}` : `${point.steps} st`;
  return `${shortModel(family.family, point.model)} ${point.precision} ${knob}`;
}

const round = (value: number, digits = 4) => Number(value.toPrecision(digits));

interface Axis {
  name: string;
  values?: 'value' | 'category';
  categories?: string[];
  /** Start the value axis at zero (bars, ratios) rather than at the data. */
  fromZero?: boolean;
}

interface Panel {
  family: FamilyReport;
  x: Axis;
  y: Axis;
  series: Record<string, unknown>[];
  /** Said under the panel's title: what is missing or estimated there. */
  note?: string;
}

function axis(spec: Axis, gridIndex: number, along: 'x' | 'y') {
  return {
    type: spec.values ?? 'value',
    gridIndex,
    name: spec.name,
    nameLocation: 'middle',
    nameGap: along === 'x' ? 30 : spec.values === 'category' ? 118 : 50,
    nameTextStyle: { fontSize: 12, color: '#333' },
    scale: !spec.fromZero,
    data: spec.categories,
    axisLabel: { fontSize: 11, color: '#444', hideOverlap: true },
    splitLine: { show: spec.values !== 'category', lineStyle: { color: '#e5e5e5' } },
    axisLine: { lineStyle: { color: '#888' } },
  };
}

/** Side-by-side panels, one per family, under one title and one legend. */
function figure(id: string, title: string, caption: string, panels: Panel[], height = HEIGHT, leftMargin = 70): ReportFigure {
  const count = Math.max(panels.length, 1);
  const share = 100 / count;
  const titles = panels.map((panel, index) => ({
    text: `${panel.family.family} (${panel.family.kind})`,
    subtext: panel.note ?? '',
    left: `${share * index + share / 2}%`,
    top: 34,
    textAlign: 'center',
    textStyle: { fontSize: 13, fontWeight: 'bold', color: '#222' },
    subtextStyle: { fontSize: 11, color: '#a04000' },
  }));
  const option: FigureOption = {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT },
    title: [{ text: title, left: 'center', top: 6, textStyle: { fontSize: 16, color: '#111' } }, ...titles],
    legend: { bottom: 6, type: 'plain', textStyle: { fontSize: 11 }, itemWidth: 14, itemHeight: 10, itemGap: 34 },
    tooltip: { trigger: 'item' },
    grid: panels.map((_, index) => ({ left: `${share * index + (leftMargin / WIDTH) * 100}%`, width: `${share - ((leftMargin + 30) / WIDTH) * 100}%`, top: 92, bottom: 76 })),
    xAxis: panels.map((panel, index) => axis(panel.x, index, 'x')),
    yAxis: panels.map((panel, index) => axis(panel.y, index, 'y')),
    series: panels.flatMap((panel, index) => panel.series.map((series) => ({ ...series, xAxisIndex: index, yAxisIndex: index }))),
  };
  return { id, title, caption, width: WIDTH, height, option };
}

function qualityAxisName(family: FamilyReport): string {
  return `${family.qualityMeasure} (declared, lower is better)`;
}

const models = (family: FamilyReport) => [...new Set(family.points.map((point) => point.model))];

/** One scatter series per model of the family, coloured by model and shaped by precision. */
function modelScatter(family: FamilyReport, value: (point: ReportPoint) => [number, number] | null, allModels: string[]): Record<string, unknown>[] {
  return models(family).map((model) => ({
    type: 'scatter',
    name: model,
    symbolSize: 10,
    itemStyle: { color: MODEL_COLOURS[allModels.indexOf(model) % MODEL_COLOURS.length], opacity: 0.85 },
    data: family.points
      .filter((point) => point.model === model)
      .flatMap((point) => {
        const xy = value(point);
        return xy ? [{ value: xy.map((v) => round(v)), name: pointLabel(family, point), symbol: PRECISION_SYMBOLS[point.precision] ?? 'circle' }] : [];
      }),
  }));
}

const noQuality = (family: FamilyReport) => (family.points.some((point) => point.quality !== null) ? undefined : 'quality unknown: the packages declare none');
const millions = (point: ReportPoint) => (point.complexity === null ? null : point.complexity / 1e6);
const complexityAxis = (family: FamilyReport): Axis => ({ name: `${family.complexityMeasure} (millions)` });

function energyNote(family: FamilyReport): string {
  const point = family.points.find((candidate) => candidate.energy.source !== null);
  if (!point) return 'no energy reader gave a figure';
  return point.energy.estimated ? `estimated (${point.energy.source}), not measured` : `measured (${point.energy.source})`;
}

/** The seven figures of the paper's evaluation, for every family of the report. */
export function reportFigures(report: Report): ReportFigure[] {
  const families = report.families.filter((family) => family.points.length > 0);
  const allModels = families.flatMap(models);
  const scatterPanel = (family: FamilyReport, x: Axis, y: Axis, value: (point: ReportPoint) => [number, number] | null, note?: string): Panel => ({ family, x, y, series: modelScatter(family, value, allModels), note });
  const quality = (point: ReportPoint) => point.quality?.value ?? null;
  const pair = (x: number | null, y: number | null): [number, number] | null => (x === null || y === null ? null : [x, y]);

  return [
    figure('fig1-quality-vs-complexity', 'Fig 1. Quality vs complexity', `Declared quality of each operating point against its complexity: the parameters its depth runs (text), parameters × steps (images). ${SYMBOL_KEY}.`, families.map((family) => scatterPanel(family, complexityAxis(family), { name: qualityAxisName(family) }, (point) => pair(millions(point), quality(point)), noQuality(family)))),
    figure('fig2-efficiency-vs-complexity', 'Fig 2. Efficiency vs complexity', `E(C) = cheapest median cost / median cost of C, measured on ${report.device}. ${SYMBOL_KEY}.`, families.map((family) => scatterPanel(family, complexityAxis(family), { name: 'efficiency E(C) (1 = cheapest)', fromZero: true }, (point) => pair(millions(point), point.efficiency)))),
    figure('fig3-utility-curve', 'Fig 3. Utility U(C) = λ·Q/Qmax + (1−λ)·E along the Pareto front', 'One curve per λ over the front points, cheapest first; the large diamond on each curve marks C*, the point that λ chooses.', families.map(utilityPanel)),
    figure('fig4-latency-vs-size', 'Fig 4. Latency vs size', `Median cost over the interleaved repeats with its spread (min–max), against the file the point runs. ${SYMBOL_KEY}.`, families.map((family) => latencyPanel(family, allModels))),
    figure('fig5-quality-vs-compression', 'Fig 5. Quality vs compression ratio', `Compression ratio = bytes of the teacher's full point / bytes of the point. ${SYMBOL_KEY}.`, families.map((family) => scatterPanel(family, { name: 'compression ratio (×)' }, { name: qualityAxisName(family) }, (point) => pair(point.compressionRatio, quality(point)), noQuality(family)))),
    energyFigure(families),
    figure('fig7-pareto-scatter', 'Fig 7. Pareto scatter: quality against cost, the front drawn', 'Q/Qmax against the median cost measured here; the line joins the Pareto-optimal points; the pin marks C* at λ = 0.5.', families.map((family) => paretoPanel(family, allModels))),
  ];
}

function utilityPanel(family: FamilyReport): Panel {
  const series = family.utility.map((curve, index) => {
    const chosen = curve.points.find((point) => point.id === curve.chosen)!;
    const colour = LAMBDA_COLOURS[index % LAMBDA_COLOURS.length];
    return {
      type: 'line',
      name: `λ = ${curve.lambda}`,
      symbolSize: 7,
      itemStyle: { color: colour },
      lineStyle: { width: 2 },
      data: curve.points.map((point) => ({ value: [round(point.cost), round(point.utility)], name: point.id })),
      markPoint: { symbol: 'diamond', symbolSize: 18, itemStyle: { color: colour, borderColor: '#111', borderWidth: 1 }, label: { show: false }, data: [{ coord: [round(chosen.cost), round(chosen.utility)], name: `C* at λ = ${curve.lambda}: ${chosen.id}` }] },
    };
  });
  return { family, x: { name: `median cost (${family.unit})` }, y: { name: 'utility U(C)' }, series, note: family.utility.length ? undefined : 'no utility: the packages declare no quality' };
}

function latencyPanel(family: FamilyReport, allModels: string[]): Panel {
  const mb = (point: ReportPoint) => round(point.bytes / 1e6);
  // Whiskers as one broken line: low–high at each point, '-' breaks the line between points.
  const whiskers = family.points.flatMap((point) => [[mb(point), round(point.cost.low)], [mb(point), round(point.cost.high)], [mb(point), '-']]);
  const spreadSeries = { type: 'line', name: 'spread (min–max)', data: whiskers, symbol: 'none', lineStyle: { color: '#777', width: 1.5 }, itemStyle: { color: '#777' }, connectNulls: false, silent: true };
  return { family, x: { name: 'weights the point runs (MB)' }, y: { name: `median ${family.unit}` }, series: [spreadSeries, ...modelScatter(family, (point) => [point.bytes / 1e6, point.cost.median], allModels)] };
}

function energyFigure(families: FamilyReport[]): ReportFigure {
  const rows = Math.max(1, ...families.map((family) => family.points.length));
  const panels = families.map((family): Panel => {
    const points = [...family.points].sort((a, b) => (b.energy.perOutput?.median ?? 0) - (a.energy.perOutput?.median ?? 0));
    const estimated = points.some((point) => point.energy.estimated);
    return {
      family,
      x: { name: `J per ${family.output}${estimated ? ' (estimated)' : ''}`, fromZero: true },
      y: { name: '', values: 'category', categories: points.map((point) => pointLabel(family, point)) },
      series: [{ type: 'bar', name: estimated ? 'energy per sample (estimated)' : 'energy per sample (measured)', barMaxWidth: 12, itemStyle: { color: estimated ? '#b9770e' : '#239b56' }, data: points.map((point) => (point.energy.perOutput ? round(point.energy.perOutput.median) : '-')) }],
      note: energyNote(family),
    };
  });
  return figure('fig6-energy-per-sample', 'Fig 6. Energy per sample', 'Median joules per output (token or image) over the repeats; an estimate is labelled so, with its range in Table 1.', panels, 150 + rows * 16, 130);
}

function paretoPanel(family: FamilyReport, allModels: string[]): Panel {
  const declared = family.points.filter((point) => point.qualityRatio !== null);
  const front = declared.filter((point) => point.onFront).sort((a, b) => a.cost.median - b.cost.median);
  const balanced = family.utility.find((curve) => curve.lambda === 0.5);
  const chosen = balanced ? family.points.find((point) => point.id === balanced.chosen) : undefined;
  const frontSeries = {
    type: 'line',
    name: 'Pareto front',
    symbol: 'none',
    lineStyle: { color: '#111', width: 1.5, type: 'dashed' },
    itemStyle: { color: '#111' },
    data: front.map((point) => [round(point.cost.median), round(point.qualityRatio!)]),
    markPoint: chosen ? { symbol: 'pin', symbolSize: 34, label: { formatter: 'C*', fontSize: 10, color: '#fff' }, data: [{ coord: [round(chosen.cost.median), round(chosen.qualityRatio!)], name: `C* at λ = 0.5: ${chosen.id}` }] } : undefined,
    silent: true,
  };
  const scatter = modelScatter(family, (point) => (point.qualityRatio === null ? null : [point.cost.median, point.qualityRatio]), allModels);
  return { family, x: { name: `median cost (${family.unit})` }, y: { name: 'quality Q/Qmax' }, series: [frontSeries, ...scatter], note: noQuality(family) };
}
