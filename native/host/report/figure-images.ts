import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { EChartsCoreOption } from 'echarts/core';
import type { ReportFigure } from '../../contract';

/** Fonts for the PNGs, first found wins; PARETO_REPORT_FONT names another TrueType/OpenType file. */
const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/System/Library/Fonts/Supplemental/Arial.ttf',
  '/Library/Fonts/Arial.ttf',
  'C:\\Windows\\Fonts\\arial.ttf',
  'C:\\Windows\\Fonts\\segoeui.ttf',
];

/** A figure as a standalone SVG document, drawn by ECharts' server-side SVG renderer from the same option the view draws. */
export async function figureSvg(figure: ReportFigure): Promise<string> {
  const { renderSvg } = await import('./figure-svg');
  return renderSvg(figure.option as EChartsCoreOption, figure.width, figure.height);
}

export function findFont(): string | null {
  const candidates = process.env.PARETO_REPORT_FONT ? [process.env.PARETO_REPORT_FONT, ...FONT_CANDIDATES] : FONT_CANDIDATES;
  return candidates.find((file) => fs.existsSync(file)) ?? null;
}

let wasmReady: Promise<void> | null = null;

/**
 * SVG → PNG with resvg (WebAssembly: no per-platform binary). It draws text only with the fonts it is
 * given, so a machine without any of the known fonts gets a clear reason instead of PNGs without labels.
 */
export async function svgToPng(svg: string, fontFile: string, scale = 2): Promise<Uint8Array> {
  const { initWasm, Resvg } = await import('@resvg/resvg-wasm');
  wasmReady ??= initWasm(fs.readFileSync(createRequire(import.meta.url).resolve('@resvg/resvg-wasm/index_bg.wasm')));
  await wasmReady;
  const font = fs.readFileSync(fontFile);
  const renderer = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, background: '#ffffff', font: { fontBuffers: [font], defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' } });
  try {
    return renderer.render().asPng();
  } finally {
    renderer.free();
  }
}
