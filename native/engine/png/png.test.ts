import { describe, expect, it } from 'vitest';
import { decodePng, encodePng, isPng, pngDataUrl, readPngText } from './png';

const image = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i * 14) };

describe('png', () => {
  it('round-trips pixels and Latin-1 text through tEXt', () => {
    const bytes = encodePng(image, { parameters: 'a red circle\nSteps: 4', pareto: '{"a":1}' });
    expect(isPng(bytes)).toBe(true);
    const decoded = decodePng(bytes);
    expect([decoded.width, decoded.height, decoded.channels]).toEqual([3, 2, 3]);
    expect(Array.from(decoded.data)).toEqual(Array.from(image.data));
    expect(readPngText(bytes)).toEqual({ parameters: 'a red circle\nSteps: 4', pareto: '{"a":1}' });
    expect(Buffer.from(bytes).includes(Buffer.from('tEXtparameters\0'))).toBe(true);
  });

  it('writes text that is not Latin-1 as UTF-8 iTXt, which fast-png still decodes past', () => {
    const bytes = encodePng(image, { parameters: 'ein Hund 🐶 — 犬' });
    expect(Buffer.from(bytes).includes(Buffer.from('iTXtparameters\0'))).toBe(true);
    expect(readPngText(bytes)).toEqual({ parameters: 'ein Hund 🐶 — 犬' });
    expect(Array.from(decodePng(bytes).data)).toEqual(Array.from(image.data));
  });

  it('is deterministic and makes data URLs', () => {
    expect(Buffer.from(encodePng(image, { k: 'v' })).equals(Buffer.from(encodePng(image, { k: 'v' })))).toBe(true);
    expect(pngDataUrl(image)).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
  });

  it('refuses what is not a PNG', () => {
    expect(() => readPngText(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow(/not a PNG/);
    expect(() => readPngText(encodePng(image, { k: 'v' }).subarray(0, 40))).toThrow(/truncated PNG/);
  });
});
