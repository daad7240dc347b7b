import { compareModeLabel, type ComparePane } from '../../contract';
import { asciiJson, PARAMETERS_KEY, PARETO_KEY } from '../../engine/image/generation-parameters';
import { decodePng, encodePng } from '../../engine/png/png';

/** Pixels between two images of the grid. */
const GAP = 4;
const BACKGROUND = 255;
export const COMPARE_GRID_KEY = 'pareto-compare';

/** One pane's pixels as RGB, whatever channels its PNG has. */
function rgbOf(png: string) {
  const image = decodePng(Buffer.from(png, 'base64'));
  if (image.channels === 3) return image;
  const data = new Uint8Array(image.width * image.height * 3);
  for (let pixel = 0; pixel < image.width * image.height; pixel++) {
    for (let c = 0; c < 3; c++) data[pixel * 3 + c] = image.data[pixel * image.channels + Math.min(c, image.channels - 1)]!;
  }
  return { ...image, data };
}

/**
 * The images of a comparison side by side at their own size, as A1111 saves a grid: the first
 * image's `parameters` text with the compared modes added as a field (readers ignore keys they do
 * not know) and its `pareto` request, and every pane's parameters as JSON under `pareto-compare`.
 * Null when no pane made an image.
 */
export function compareGridPng(panes: readonly ComparePane[]): string | null {
  const made = panes.flatMap((pane) => (pane.image ? [{ pane, result: pane.image, rgb: rgbOf(pane.image.png) }] : []));
  if (made.length === 0) return null;
  const width = made.reduce((sum, { rgb }) => sum + rgb.width, 0) + GAP * (made.length - 1);
  const height = Math.max(...made.map(({ rgb }) => rgb.height));
  const data = new Uint8Array(width * height * 3).fill(BACKGROUND);
  let left = 0;
  for (const { rgb } of made) {
    for (let row = 0; row < rgb.height; row++) data.set(rgb.data.subarray(row * rgb.width * 3, (row + 1) * rgb.width * 3), (row * width + left) * 3);
    left += rgb.width + GAP;
  }
  const modes = made.map(({ pane }) => compareModeLabel(pane.mode)).join(' | ');
  const text = {
    [PARAMETERS_KEY]: `${made[0]!.result.parametersText}, Compare: "${modes.replace(/"/g, "'")}"`,
    [PARETO_KEY]: asciiJson(made[0]!.result.parameters),
    [COMPARE_GRID_KEY]: asciiJson(made.map(({ pane, result }) => ({ mode: pane.mode, point: pane.point, parameters: result.parameters, figures: pane.figures }))),
  };
  return Buffer.from(encodePng({ width, height, data }, text)).toString('base64');
}
