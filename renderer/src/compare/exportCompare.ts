import { compareModeLabel, type ComparePane, type CompareResult } from '../../../native/contract';
import { describePoint } from '../components/compare/ComparePaneCard';
import { formatNumber } from '../format';
import { pngBytes } from '../images/imageForm';
import { rowsFor } from './figureRows';

const COLUMN = 340;
const PAD = 16;
const LINE = 18;
const IMAGE_SIDE = 256;
const MAX_TEXT_LINES = 28;
const COLOURS = { background: '#111318', pane: '#171a21', border: '#272c37', text: '#e7e9ee', muted: '#a0a7b4', best: '#4cc38a', accent: '#7c8dff' };

/** File names for a comparison's exports: "compare-text-seed1.json". */
export const exportName = (result: CompareResult, suffix: string) => `compare-${result.kind}-seed${result.seed}${suffix}`;

export function compareJsonBlob(result: CompareResult): Blob {
  return new Blob([JSON.stringify(result, null, 2) + '\n'], { type: 'application/json' });
}

/** The host's A1111-style grid of an image comparison, parameters chunk included. */
export function compareGridBlob(result: CompareResult): Blob | null {
  return result.gridPng ? new Blob([pngBytes(result.gridPng)], { type: 'image/png' }) : null;
}

/** Greedy word wrap to the column, cut to `maxLines` with an ellipsis. */
function wrap(context: CanvasRenderingContext2D, text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      const next = line ? `${line} ${word}` : word;
      if (context.measureText(next).width > width && line) {
        lines.push(line);
        line = word;
      } else line = next;
    }
    lines.push(line);
  }
  return lines.length > maxLines ? [...lines.slice(0, maxLines - 1), `${lines[maxLines - 1]} …`] : lines;
}

function figureLines(kind: CompareResult['kind'], pane: ComparePane): { text: string; best: boolean }[] {
  return rowsFor(kind).map((row) => {
    const value = pane.figures?.[row.measure] ?? null;
    const label = row.measure === 'joulesPerOutput' ? `Energy ${row.label.toLowerCase()}` : row.label;
    const best = pane.best.includes(row.measure);
    return { text: `${label}: ${formatNumber(value, row.decimals)}${value !== null && row.unit ? ` ${row.unit}` : ''}${best ? '  ★ best' : ''}`, best };
  });
}

async function loadImage(pane: ComparePane): Promise<HTMLImageElement | null> {
  if (!pane.image) return null;
  const image = new Image();
  image.src = `data:image/png;base64,${pane.image.png}`;
  await image.decode();
  return image;
}

/**
 * One PNG of the whole comparison, drawn on a canvas: a column per pane with its mode, what ran,
 * its output (text wrapped, images scaled up pixel for pixel) and its figures with the best marked.
 */
export async function compareGridImage(result: CompareResult): Promise<Blob> {
  const images = await Promise.all(result.panes.map(loadImage));
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d')!;
  context.font = '14px Georgia, serif';
  const texts = result.panes.map((pane) => (pane.text ? wrap(context, result.prompt + pane.text.text, COLUMN - 3 * PAD, MAX_TEXT_LINES) : []));
  const outputHeight = result.kind === 'text' ? Math.max(...texts.map((lines) => lines.length)) * LINE : IMAGE_SIDE;
  const headerHeight = 3 * LINE;
  const paneHeight = 2 * LINE + PAD + outputHeight + PAD + rowsFor(result.kind).length * LINE + PAD;
  canvas.width = result.panes.length * COLUMN + PAD;
  canvas.height = headerHeight + paneHeight + 2 * PAD;

  context.fillStyle = COLOURS.background;
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.textBaseline = 'top';
  context.font = '600 15px system-ui, sans-serif';
  context.fillStyle = COLOURS.text;
  context.fillText(`Pareto Studio · compare ${result.kind === 'text' ? 'stories' : 'images'} · seed ${result.seed}`, PAD, PAD);
  context.font = '13px system-ui, sans-serif';
  context.fillStyle = COLOURS.muted;
  context.fillText(`Prompt: ${result.prompt || '(empty)'}`.slice(0, 160), PAD, PAD + LINE + 4);

  result.panes.forEach((pane, index) => {
    const x = PAD + index * COLUMN;
    let y = headerHeight + PAD;
    context.fillStyle = COLOURS.pane;
    context.fillRect(x, y, COLUMN - PAD, paneHeight);
    context.strokeStyle = COLOURS.border;
    context.strokeRect(x + 0.5, y + 0.5, COLUMN - PAD - 1, paneHeight - 1);
    const left = x + PAD;
    y += PAD / 2;
    context.font = '600 14px system-ui, sans-serif';
    context.fillStyle = COLOURS.accent;
    context.fillText(`${index + 1}. ${compareModeLabel(pane.mode)}${pane.status === 'done' ? '' : ` (${pane.status})`}`, left, y);
    y += LINE;
    context.font = '12px system-ui, sans-serif';
    context.fillStyle = COLOURS.muted;
    context.fillText(pane.point ? describePoint(pane.point) : (pane.error ?? ''), left, y);
    y += LINE + PAD / 2;
    const image = images[index];
    if (image) {
      context.imageSmoothingEnabled = false;
      const scale = Math.floor(IMAGE_SIDE / Math.max(image.width, image.height)) || 1;
      context.drawImage(image, left, y, image.width * scale, image.height * scale);
    } else {
      context.font = '14px Georgia, serif';
      context.fillStyle = COLOURS.text;
      texts[index]!.forEach((line, row) => context.fillText(line, left, y + row * LINE));
    }
    y += outputHeight + PAD;
    context.font = '13px system-ui, sans-serif';
    for (const line of figureLines(result.kind, pane)) {
      context.fillStyle = line.best ? COLOURS.best : COLOURS.text;
      context.fillText(line.text, left, y);
      y += LINE;
    }
  });
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The canvas could not be encoded as PNG.'))), 'image/png'));
}
