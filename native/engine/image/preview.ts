import { pngDataUrl, type RgbImage } from '../png/png';

/**
 * Stable Diffusion 1.x latents → approximate RGB by a linear map (the "cheap approximation" widely
 * used for live previews): each latent channel contributes a fixed colour. Rows are latent channels.
 */
const LATENT_RGB_FACTORS = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
];

/** CHW floats in [-1, 1] → 8-bit RGB, clamped; pixels with fewer than three channels repeat the first. */
export function toRgbImage(data: Float32Array, channels: number, height: number, width: number): RgbImage {
  const plane = height * width;
  const out = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const value = data[(c < channels ? c : 0) * plane + p]!;
      out[p * 3 + c] = Math.round(Math.min(1, Math.max(0, value / 2 + 0.5)) * 255);
    }
  }
  return { width, height, data: out };
}

/** The longest side of a step preview: every client is sent each one, so it stays a few kilobytes whatever the image size. */
export const MAX_PREVIEW_SIDE = 128;

/** CHW floats shrunk by an integer box filter until both sides are at most `maxSide`. */
export function downscaleChw(data: Float32Array, channels: number, height: number, width: number, maxSide: number): { data: Float32Array; height: number; width: number } {
  const factor = Math.ceil(Math.max(height, width) / maxSide);
  if (factor <= 1) return { data, height, width };
  const [outHeight, outWidth] = [Math.floor(height / factor), Math.floor(width / factor)];
  const out = new Float32Array(channels * outHeight * outWidth);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) sum += data[c * height * width + (y * factor + dy) * width + x * factor + dx]!;
        out[c * outHeight * outWidth + y * outWidth + x] = sum / (factor * factor);
      }
    }
  }
  return { data: out, height: outHeight, width: outWidth };
}

/** A small PNG data URL of a predicted x0 (at most MAX_PREVIEW_SIDE a side): latents through the linear approximation, pixels as they are. */
export function previewDataUrl(full: Float32Array, shape: number[], latent: boolean): string {
  const channels = shape[0]!;
  const { data: x0, height, width } = downscaleChw(full, channels, shape[1]!, shape[2]!, MAX_PREVIEW_SIDE);
  const plane = height * width;
  if (!latent || channels !== LATENT_RGB_FACTORS.length) return pngDataUrl(toRgbImage(x0, channels, height, width));
  const rgb = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) {
      let sum = 0;
      for (let l = 0; l < channels; l++) sum += x0[l * plane + p]! * LATENT_RGB_FACTORS[l]![c]!;
      rgb[c * plane + p] = sum;
    }
  }
  return pngDataUrl(toRgbImage(rgb, 3, height, width));
}
