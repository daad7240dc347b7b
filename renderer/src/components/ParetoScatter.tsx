import { useMemo } from 'react';
import type { PlanPreview } from '../../../native/contract';
import { EChart, type ChartOption } from '../charts/EChart';
import { formatLambda } from '../format';
import { formatCost, formatDeclaredQuality, formatPlanPointShort } from '../lambda/planText';

const ACCENT = '#8b97ff';
const CHOSEN = '#5ee0a0';
const MUTED = '#5b6275';
const TEXT = '#a9b0c2';
const ISO_SAMPLES = 48;

type Measured = PlanPreview['points'][number] & { cost: NonNullable<PlanPreview['points'][number]['cost']> };

/**
 * The utility of the chosen point as a curve: every (cost c, quality q) with λ·q + (1−λ)·cmin/c = U*.
 * Points above it would beat the choice; none on the front do. At λ 0 it is the vertical line c = c*.
 */
function isoUtility(preview: PlanPreview, chosen: Measured, cheapest: number, [from, to]: [number, number]): [number, number][] {
  const { lambda } = preview;
  if (lambda === 0) return [];
  const points: [number, number][] = [];
  for (let i = 0; i <= ISO_SAMPLES; i++) {
    const cost = from * (to / from) ** (i / ISO_SAMPLES);
    const quality = (chosen.utility! - (1 - lambda) * (cheapest / cost)) / lambda;
    if (quality >= 0 && quality <= 1.05) points.push([cost, quality]);
  }
  return points;
}

function chartOption(preview: PlanPreview): ChartOption | null {
  const measured = preview.points.filter((point): point is Measured => point.cost !== null);
  const chosen = measured.find((point) => point.chosen);
  if (!chosen || measured.length === 0) return null;
  const costs = measured.map((point) => point.cost.median);
  const cheapest = Math.min(...costs);
  const extent: [number, number] = [cheapest / 1.15, Math.max(...costs) * 1.15];
  const logScale = extent[1] / extent[0] > 6;
  const asDatum = (point: Measured) => ({ value: [point.cost.median, point.quality], name: point.id });
  const front = measured.filter((point) => point.onFront).sort((a, b) => a.cost.median - b.cost.median);
  const byId = new Map(measured.map((point) => [point.id, point]));
  return {
    animation: false,
    grid: { left: 44, right: 12, top: 26, bottom: 34 },
    xAxis: {
      type: logScale ? 'log' : 'value',
      min: extent[0],
      max: extent[1],
      name: preview.unit,
      nameLocation: 'middle',
      nameGap: 22,
      nameTextStyle: { color: TEXT, fontSize: 10 },
      axisLabel: { color: TEXT, fontSize: 10, formatter: (value: number) => formatCost(value, preview.unit) },
      splitLine: { lineStyle: { color: '#262b38' } },
    },
    yAxis: {
      type: 'value',
      max: 1,
      scale: true,
      name: 'quality (Q/Qmax)',
      nameGap: 12,
      nameTextStyle: { color: TEXT, fontSize: 10, align: 'left' },
      axisLabel: { color: TEXT, fontSize: 10, formatter: (value: number) => `${Math.round(value * 100)}%` },
      splitLine: { lineStyle: { color: '#262b38' } },
    },
    tooltip: {
      trigger: 'item',
      formatter: (params: unknown) => {
        const point = byId.get((params as { name?: string }).name ?? '');
        if (!point) return '';
        const utility = point.utility === null ? '' : `<br/>utility at λ ${formatLambda(preview.lambda)}: ${point.utility.toFixed(3)}`;
        return `${formatPlanPointShort(point)}<br/>${formatDeclaredQuality(point)} · ${formatCost(point.cost.median, preview.unit)} ${preview.unit}${utility}${point.onFront ? '' : '<br/>(dominated: off the front)'}`;
      },
    },
    series: [
      { type: 'scatter', name: 'Points', symbolSize: 7, itemStyle: { color: MUTED }, data: measured.filter((point) => !point.onFront).map(asDatum) },
      { type: 'line', name: 'Pareto front', symbolSize: 8, itemStyle: { color: ACCENT }, lineStyle: { color: ACCENT, width: 1.5 }, data: front.map(asDatum) },
      {
        type: 'line',
        name: `Utility at λ ${formatLambda(preview.lambda)}`,
        showSymbol: false,
        silent: true,
        lineStyle: { color: CHOSEN, type: 'dashed', width: 1 },
        data: isoUtility(preview, chosen, cheapest, extent),
        ...(preview.lambda === 0 ? { markLine: { silent: true, symbol: 'none', lineStyle: { color: CHOSEN, type: 'dashed' }, data: [{ xAxis: chosen.cost.median }] } } : {}),
      },
      { type: 'scatter', name: 'Chosen', symbolSize: 14, itemStyle: { color: CHOSEN, borderColor: '#0e1016', borderWidth: 2 }, data: [asDatum(chosen)], z: 5 },
    ],
  };
}

/** The family's points by predicted cost and quality: the front, the point λ runs, and its utility curve. */
export function ParetoScatter({ preview, testId }: { preview: PlanPreview; testId: string }) {
  const option = useMemo(() => chartOption(preview), [preview]);
  if (!option) return null;
  const chosen = preview.points.find((point) => point.chosen)!;
  return (
    <figure className="pareto-scatter" data-testid={testId} data-chosen={chosen.id}>
      <EChart option={option} label={`Pareto front of the ${preview.family} family: ${preview.points.filter((point) => point.onFront).length} of ${preview.points.length} points on the front; λ ${formatLambda(preview.lambda)} runs ${formatPlanPointShort(chosen)}`} className="pareto-chart" />
    </figure>
  );
}
