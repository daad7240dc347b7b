import { describe, expect, it } from 'vitest';
import { decodePng } from '../png/png';
import { MAX_PREVIEW_SIDE, downscaleChw, previewDataUrl } from './preview';

const sizeOf = (dataUrl: string) => decodePng(Buffer.from(dataUrl.split(',')[1]!, 'base64'));

describe('step previews (finding 8)', () => {
  it('stay at most 128 px a side whatever the latent or image size', () => {
    for (const [channels, side, latent, shown] of [[4, 512, true, 128], [3, 1000, false, 125], [4, 64, true, 64]] as const) {
      const preview = sizeOf(previewDataUrl(new Float32Array(channels * side * side), [channels, side, side], latent));
      expect([preview.width, preview.height]).toEqual([shown, shown]);
      expect(shown).toBeLessThanOrEqual(MAX_PREVIEW_SIDE);
    }
  });

  it('shrink by averaging blocks', () => {
    const data = Float32Array.from([1, 3, 5, 7, 1, 3, 5, 7]); // one channel, 2×4
    expect(downscaleChw(data, 1, 2, 4, 2)).toEqual({ data: Float32Array.from([2, 6]), height: 1, width: 2 });
  });
});
