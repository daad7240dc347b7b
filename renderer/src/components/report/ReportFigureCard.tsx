import type { ReportFigure } from '../../../../native/contract';
import { EChart, type ChartOption } from '../../charts/EChart';

/** A report figure drawn from the same ECharts option the files are rendered from. */
export function ReportFigureCard({ figure }: { figure: ReportFigure }) {
  return (
    <figure className="card report-figure" data-testid={`report-${figure.id}`}>
      <div style={{ aspectRatio: `${figure.width} / ${figure.height}` }} className="report-figure-chart">
        {/* The figure spec is typed structurally in the contract (it cannot import ECharts); ECharts checks it here. */}
        <EChart option={figure.option as ChartOption} label={`${figure.title}. ${figure.caption}`} className="report-echart" />
      </div>
      <figcaption>{figure.caption}</figcaption>
    </figure>
  );
}
