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

/** A small PNG data URL of a predicted x0: latents through the linear approximation, pixels as they are. */
export function previewDataUrl(x0: Float32Array, shape: number[], latent: boolean): string {
  const [channels, height, width] = shape as [number, number, number];
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
