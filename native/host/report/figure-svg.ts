import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkPointComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { init, use as registerChartParts, type EChartsCoreOption } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

// The parts the report's figures use, as in the renderer's charts: the rest of ECharts stays out of the CLI's bundle.
registerChartParts([BarChart, LineChart, ScatterChart, GridComponent, LegendComponent, MarkPointComponent, TitleComponent, TooltipComponent, SVGRenderer]);

/** An ECharts option drawn by the server-side SVG renderer as a standalone SVG document. */
export function renderSvg(option: EChartsCoreOption, width: number, height: number): string {
  const chart = init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
