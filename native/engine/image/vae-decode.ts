import { ApiError } from '../../contract';
import { pngDataUrl } from '../png/png';
import { floatData, floatTensorFor, type GraphSession } from './graph-session';
import { previewDataUrl, toRgbImage } from './preview';

/** CHW pixels in [-1, 1]. */
export interface DecodedPixels {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

/** Latent grids up to this many cells are previewed through the VAE decoder itself (cheap there). */
const MAX_DECODED_PREVIEW_CELLS = 32 * 32;

/** The pipeline's last stage: the VAE decoder and the factor latents are divided by first; null for pixel-space models. */
export interface LatentDecoder {
  vae: GraphSession | null;
  scalingFactor: number;
}

/**
 * Latents → pixels: through the VAE decoder (after 1/scaling_factor) in one call for all of them where its batch
 * axis is dynamic, else one call each; pixel-space samples as they are.
 */
export async function decodeLatents({ vae, scalingFactor }: LatentDecoder, latents: readonly Float32Array[], shape: readonly number[]): Promise<DecodedPixels[]> {
  if (!vae) return latents.map((data) => ({ data, channels: shape[0]!, height: shape[1]!, width: shape[2]! }));
  const input = vae.requireInput('latent_sample', 'a VAE decoder');
  const batchAxis = input.shape[0];
  const perCall = typeof batchAxis === 'number' && batchAxis > 0 ? 1 : latents.length;
  const decoded: DecodedPixels[] = [];
  for (let start = 0; start < latents.length; start += perCall) {
    const chunk = latents.slice(start, start + perCall);
    const scaled = new Float32Array(chunk.length * chunk[0]!.length);
    chunk.forEach((sample, index) => scaled.set(sample.map((v) => v / scalingFactor), index * sample.length));
    const outputs = await vae.run({ latent_sample: floatTensorFor(input, scaled, [chunk.length, ...shape]) });
    const output = outputs[vae.outputName('sample')]!;
    const [count, channels, height, width] = output.dims.map(Number) as [number, number, number, number];
    if (output.dims.length !== 4 || count !== chunk.length || channels < 3) {
      throw new ApiError('invalid_model', `${vae.displayName} returned shape [${output.dims.join(', ')}], not ${chunk.length} RGB image(s) [${chunk.length}, 3, H, W].`);
    }
    const data = floatData(output, vae.displayName);
    const size = channels * height * width;
    for (let index = 0; index < count; index++) decoded.push({ data: data.subarray(index * size, (index + 1) * size), channels, height, width });
  }
  return decoded;
}

/**
 * Previews of predicted x0s as PNG data URLs. Small latents (the studio's emoji models: 16×16) go through the VAE
 * decoder itself, which costs about one UNet call there and shows the real picture; large SD latents use the cheap
 * linear approximation.
 */
export async function previewImages(decoder: LatentDecoder, x0s: readonly Float32Array[], shape: readonly number[]): Promise<string[]> {
  if (!decoder.vae || shape[1]! * shape[2]! > MAX_DECODED_PREVIEW_CELLS) return x0s.map((x0) => previewDataUrl(x0, [...shape], decoder.vae !== null));
  const decoded = await decodeLatents(decoder, x0s, shape);
  return decoded.map((pixels) => pngDataUrl(toRgbImage(pixels.data, pixels.channels, pixels.height, pixels.width)));
}
