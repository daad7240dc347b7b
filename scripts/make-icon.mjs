#!/usr/bin/env node
// Draws the app icon, build/icon.png (512×512 RGBA), with no dependencies: shapes are sampled
// 4×4 per pixel for smooth edges and the PNG is written by hand with node:zlib.
// The mark is a Pareto front: a quarter arc of optimal points over a few dominated ones, with the
// point the λ slider picks highlighted. Run: node scripts/make-icon.mjs [out.png]
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { deflateSync } from 'node:zlib';

const SIZE = 512;
const SUB = 4; // samples per axis per pixel
const out = resolve(process.argv[2] ?? new URL('../build/icon.png', import.meta.url).pathname);

const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
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

const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let py = 0; py < SIZE; py++) {
  const row = py * (SIZE * 4 + 1);
  raw[row] = 0; // filter: none
  for (let px = 0; px < SIZE; px++) {
    const sum = [0, 0, 0, 0];
    for (let sy = 0; sy < SUB; sy++) {
      for (let sx = 0; sx < SUB; sx++) {
        const [r, g, b, a] = sample(px + (sx + 0.5) / SUB, py + (sy + 0.5) / SUB);
        sum[0] += r * a;
        sum[1] += g * a;
        sum[2] += b * a;
        sum[3] += a;
      }
    }
    const o = row + 1 + px * 4;
    const alpha = sum[3] / (SUB * SUB);
    for (let c = 0; c < 3; c++) raw[o + c] = sum[3] === 0 ? 0 : Math.round(sum[c] / sum[3]);
    raw[o + 3] = Math.round(alpha);
  }
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

const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bit depth
header[9] = 6; // colour type: RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(out, png);
console.log(`[make-icon] wrote ${out} (${SIZE}×${SIZE}, ${png.length} bytes)`);
