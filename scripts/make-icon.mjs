#!/usr/bin/env node
// Makes every platform's app icon from one drawing, at build time (npm run package runs it):
//   build/icons/icon.png (1024), icon.ico (Windows: 16–256), icon.icns (macOS: 16–1024),
//   linux/NxN.png (16–512).
// The drawing is procedural (signed distances, sampled 4×4 per pixel), so every size is drawn
// crisp at its own resolution rather than scaled down. No dependencies: PNG, ICO and ICNS are
// written by hand with node:zlib. The mark is a Pareto front: a quarter arc of optimal points
// over a few dominated ones, with the point the λ slider picks highlighted.
//   node scripts/make-icon.mjs [out-dir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';

const SIZE = 512; // the drawing's own coordinate space
// Samples per axis per pixel: small sizes need more to keep their edges smooth.
const samplesFor = (size) => (size >= 512 ? 2 : 4);
const outDir = resolve(process.argv[2] ?? new URL('../build/icons', import.meta.url).pathname);

const colours = new Map();
const hex = (h) => colours.get(h) ?? colours.set(h, [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16))).get(h);
const mix = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);

const origin = { x: 112, y: 398 }; // where the faint axes meet
const R = 264; // radius of the front
const teal = hex('#2dd4bf');
const amber = hex('#f5a524');
const frontColor = (theta) => mix(teal, amber, theta / (Math.PI / 2));
const onFront = (theta) => ({ x: origin.x + R * Math.sin(theta), y: origin.y - R * Math.cos(theta) });

// Signed distances (negative inside).
const roundedSquare = (x, y, inset, radius) => {
  const half = SIZE / 2 - inset;
  const qx = Math.abs(x - SIZE / 2) - (half - radius);
  const qy = Math.abs(y - SIZE / 2) - (half - radius);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
};
const circle = (x, y, c, r) => Math.hypot(x - c.x, y - c.y) - r;
const segment = (x, y, a, b, width) => {
  const [dx, dy] = [b.x - a.x, b.y - a.y];
  const t = Math.max(0, Math.min(1, ((x - a.x) * dx + (y - a.y) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (a.x + t * dx), y - (a.y + t * dy)) - width / 2;
};

const dominated = [
  { x: 186, y: 328 },
  { x: 252, y: 356 },
  { x: 166, y: 246 },
  { x: 290, y: 302 },
  { x: 220, y: 278 },
];
const frontDots = [0.1, 0.42, 1.15, 1.47].map((theta) => ({ ...onFront(theta), theta }));
const chosen = { ...onFront(Math.PI / 4), theta: Math.PI / 4 };

/** The colour (RGBA, 0–255) at one sample point, painting back to front. */
function sample(x, y) {
  if (roundedSquare(x, y, 20, 100) > 0) return [0, 0, 0, 0];
  let color = mix(hex('#1d2230'), hex('#0d0f15'), y / SIZE);
  const axisColor = hex('#2f3748');
  if (segment(x, y, { x: origin.x, y: 110 }, origin, 6) < 0 || segment(x, y, origin, { x: 402, y: origin.y }, 6) < 0) color = axisColor;
  for (const dot of dominated) if (circle(x, y, dot, 11) < 0) color = hex('#46506a');
  const rel = { x: x - origin.x, y: origin.y - y };
  const theta = Math.atan2(rel.x, rel.y);
  if (theta >= 0.1 && theta <= 1.47 && Math.abs(Math.hypot(rel.x, rel.y) - R) < 7) color = frontColor(theta);
  for (const dot of frontDots) if (circle(x, y, dot, 17) < 0) color = frontColor(dot.theta);
  if (circle(x, y, chosen, 36) < 0) color = hex('#0d0f15');
  if (circle(x, y, chosen, 30) < 0) color = hex('#f8fafc');
  if (circle(x, y, chosen, 17) < 0) color = frontColor(chosen.theta);
  return [...color, 255];
}

/** The icon as RGBA pixels at `size`×`size`, each pixel the average of its samples. */
function render(size) {
  const SUB = samplesFor(size);
  const scale = SIZE / size;
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let py = 0; py < size; py++) {
    const row = py * (size * 4 + 1);
    raw[row] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      const sum = [0, 0, 0, 0];
      for (let sy = 0; sy < SUB; sy++) {
        for (let sx = 0; sx < SUB; sx++) {
          const [r, g, b, a] = sample((px + (sx + 0.5) / SUB) * scale, (py + (sy + 0.5) / SUB) * scale);
          sum[0] += r * a;
          sum[1] += g * a;
          sum[2] += b * a;
          sum[3] += a;
        }
      }
      const o = row + 1 + px * 4;
      for (let c = 0; c < 3; c++) raw[o + c] = sum[3] === 0 ? 0 : Math.round(sum[c] / sum[3]);
      raw[o + 3] = Math.round(sum[3] / (SUB * SUB));
    }
  }
  return raw;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png(size) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(render(size), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Windows .ico holding PNG images (Vista and later read them), 256 stored as size byte 0. */
function ico(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(images.length, 4);
  let offset = 6 + 16 * images.length;
  const entries = images.map(({ size, data }) => {
    const entry = Buffer.alloc(16);
    entry[0] = size >= 256 ? 0 : size;
    entry[1] = size >= 256 ? 0 : size;
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(data.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += data.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...images.map((image) => image.data)]);
}

/** macOS .icns with PNG payloads under the types that take them. */
function icns(images) {
  const chunks = images.map(({ type, data }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([head, data]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + chunks.reduce((sum, c) => sum + c.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

const started = Date.now();
const pngs = new Map([16, 32, 48, 64, 128, 256, 512, 1024].map((size) => [size, png(size)]));
mkdirSync(join(outDir, 'linux'), { recursive: true });
writeFileSync(join(outDir, 'icon.png'), pngs.get(1024));
writeFileSync(join(outDir, 'icon.ico'), ico([16, 32, 48, 64, 128, 256].map((size) => ({ size, data: pngs.get(size) }))));
const ICNS_TYPES = { icp4: 16, icp5: 32, icp6: 64, ic07: 128, ic08: 256, ic09: 512, ic10: 1024, ic11: 32, ic12: 64, ic13: 256, ic14: 512 };
writeFileSync(join(outDir, 'icon.icns'), icns(Object.entries(ICNS_TYPES).map(([type, size]) => ({ type, data: pngs.get(size) }))));
for (const size of [16, 32, 48, 64, 128, 256, 512]) writeFileSync(join(outDir, 'linux', `${size}x${size}.png`), pngs.get(size));
console.log(`[make-icon] wrote icon.png, icon.ico, icon.icns and linux/*.png to ${outDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
