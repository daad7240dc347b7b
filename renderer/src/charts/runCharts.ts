import type { Point } from '../state/runSamples';
import type { ChartOption } from './EChart';

const AXIS = '#a0a7b4';
const GRID = '#272c37';

export interface ChartLayout {
  /** What x counts: seconds since the start, or diffusion steps. */
  x?: 'seconds' | 'step';
  /** A sparkline: no axis labels, for a chart inside the row of figures (values show on hover). */
  inline?: boolean;
}

/** A compact line chart of figures over the run, sized for the profiler pane. */
export function lineChart(lines: { name: string; data: Point[]; colour: string; axis?: 0 | 1 }[], units: [string, string?], { x = 'seconds', inline = false }: ChartLayout = {}): ChartOption {
  const valueAxis = (unit: string | undefined, index: number) => ({
    type: 'value' as const,
    scale: true,
    show: unit !== undefined && !inline,
    position: index === 0 ? ('left' as const) : ('right' as const),
    splitNumber: 2,
    axisLabel: { color: AXIS, fontSize: 10, hideOverlap: true, formatter: (value: number) => `${Number(value.toPrecision(3))}${unit ? ` ${unit}` : ''}` },
    splitLine: { show: index === 0, lineStyle: { color: GRID } },
  });
  return {
    animation: false,
    grid: inline ? { left: 2, right: 2, top: 4, bottom: 4 } : { left: 56, right: units[1] ? 56 : 12, top: 10, bottom: 22 },
    tooltip: { trigger: 'axis', valueFormatter: (value) => (typeof value === 'number' ? Number(value.toPrecision(4)).toString() : String(value)) },
    xAxis: { type: 'value', show: !inline, min: x === 'step' ? 1 : 0, minInterval: x === 'step' ? 1 : 0, splitNumber: 3, axisLabel: { color: AXIS, fontSize: 10, hideOverlap: true, formatter: x === 'step' ? 'step {value}' : '{value} s' }, splitLine: { show: false }, axisLine: { lineStyle: { color: GRID } } },
    yAxis: [valueAxis(units[0], 0), valueAxis(units[1], 1)],
    series: lines.map((line) => ({ type: 'line', name: line.name, data: line.data, yAxisIndex: line.axis ?? 0, showSymbol: false, sampling: 'lttb', lineStyle: { width: 1.5, color: line.colour }, itemStyle: { color: line.colour } })),
  };
}
