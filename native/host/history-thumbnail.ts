import { decodePng, encodePng } from '../engine/png/png';

/** The longest side of a gallery thumbnail, in pixels. */
export const THUMBNAIL_PX = 160;

/**
 * A PNG small enough for the gallery: each thumbnail pixel is the mean of the source pixels it
 * covers (box filter), so detail averages out rather than aliasing. An image already this small
 * (the emoji family's 32 px) is its own thumbnail.
 */
export function thumbnailOf(png: Uint8Array): Uint8Array {
  const image = decodePng(png);
  const scale = Math.max(image.width, image.height) / THUMBNAIL_PX;
  if (scale <= 1) return png;
  const width = Math.max(1, Math.round(image.width / scale));
  const height = Math.max(1, Math.round(image.height / scale));
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const [top, bottom] = span(y, height, image.height);
    for (let x = 0; x < width; x++) {
      const [left, right] = span(x, width, image.width);
      const sum = [0, 0, 0];
      for (let sy = top; sy < bottom; sy++) {
        for (let sx = left; sx < right; sx++) {
          const at = (sy * image.width + sx) * image.channels;
          for (let c = 0; c < 3; c++) sum[c]! += image.data[at + Math.min(c, image.channels - 1)]!;
        }
      }
      const count = (bottom - top) * (right - left);
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = Math.round(sum[c]! / count);
    }
  }
  return encodePng({ width, height, data });
}

/** The source rows (or columns) that target index `i` of `size` covers out of `source`. */
function span(i: number, size: number, source: number): [number, number] {
  const start = Math.floor((i * source) / size);
  return [start, Math.max(start + 1, Math.floor(((i + 1) * source) / size))];
}
