import zlib from 'node:zlib';
import { decode, encode } from 'fast-png';

/*
 * PNG pixels go through fast-png (pure JS, typed, maintained, deterministic: the same pixels give
 * the same bytes on every machine, with no native build). Its text support is tEXt, which is
 * Latin-1 only; text that is not Latin-1 is written here as an iTXt chunk (UTF-8), as Pillow does
 * for A1111's `parameters`. Text chunks are read here too, so tEXt, iTXt and zTXt all come back.
 */

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
/** Latin-1 is the only text a tEXt chunk may hold. */
const isLatin1 = (text: string) => ![...text].some((c) => c.codePointAt(0)! > 0xff);

export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3 bytes, row-major RGB. */
  data: Uint8Array;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, zlib.crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** iTXt: keyword, NUL, compression flag 0, method 0, empty language tag, NUL, empty translated keyword, NUL, UTF-8 text. */
function iTXt(keyword: string, text: string): Uint8Array {
  return chunk('iTXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]));
}

/** Encodes 8-bit RGB with text chunks (before the image data, where readers look first). */
export function encodePng(image: RgbImage, text: Record<string, string> = {}): Uint8Array {
  const latin1 = Object.fromEntries(Object.entries(text).filter(([, value]) => isLatin1(value)));
  const png = encode({ width: image.width, height: image.height, data: image.data, channels: 3, depth: 8, text: latin1 });
  const extra = Object.entries(text).filter(([, value]) => !isLatin1(value));
  if (extra.length === 0) return png;
  // IHDR is always first: 8 signature bytes + 25 bytes of chunk.
  const afterHeader = SIGNATURE.length + 25;
  return Buffer.concat([png.subarray(0, afterHeader), ...extra.map(([key, value]) => iTXt(key, value)), png.subarray(afterHeader)]);
}

export function decodePng(bytes: Uint8Array): RgbImage & { channels: number } {
  const png = decode(bytes);
  return { width: png.width, height: png.height, channels: png.channels, data: png.data as Uint8Array };
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((byte, i) => bytes[i] === byte);
}

/** The text chunks of a PNG (tEXt, zTXt, iTXt), keyword → text; a later chunk with the same keyword wins. */
export function readPngText(bytes: Uint8Array): Record<string, string> {
  if (!isPng(bytes)) throw new Error('not a PNG file (bad signature)');
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text: Record<string, string> = {};
  let offset = SIGNATURE.length;
  let ended = false;
  while (offset + 12 <= buffer.length) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    const start = offset + 8;
    const end = start + length;
    if (end + 4 > buffer.length) throw new Error(`truncated PNG: the ${type} chunk runs past the end of the file`);
    const body = buffer.subarray(start, end);
    const nul = body.indexOf(0);
    if (nul > 0 && (type === 'tEXt' || type === 'zTXt' || type === 'iTXt')) {
      const keyword = body.toString('latin1', 0, nul);
      if (type === 'tEXt') text[keyword] = body.toString('latin1', nul + 1);
      if (type === 'zTXt') text[keyword] = zlib.inflateSync(body.subarray(nul + 2)).toString('latin1');
      if (type === 'iTXt') {
        const compressed = body[nul + 1] === 1;
        const languageEnd = body.indexOf(0, nul + 3);
        const translatedEnd = body.indexOf(0, languageEnd + 1);
        const payload = body.subarray(translatedEnd + 1);
        text[keyword] = (compressed ? zlib.inflateSync(payload) : payload).toString('utf8');
      }
    }
    if (type === 'IEND') {
      ended = true;
      break;
    }
    offset = end + 4;
  }
  if (!ended) throw new Error('truncated PNG: it ends before its IEND chunk');
  return text;
}

export function pngDataUrl(image: RgbImage): string {
  return `data:image/png;base64,${Buffer.from(encodePng(image)).toString('base64')}`;
}
