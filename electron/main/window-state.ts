import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where the window was when it last closed; x and y are absent when it should open centred. */
export interface WindowPlacement {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_PLACEMENT: WindowPlacement = { width: 1280, height: 820, maximized: false };
export const MIN_WINDOW_SIZE = { width: 960, height: 640 };

const PlacementSchema = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  maximized: z.boolean(),
});

/** How much of the title bar must lie on a display for the saved position to be kept. */
const VISIBLE_MARGIN = 64;

function overlaps(window: Rectangle, area: Rectangle): boolean {
  const width = Math.min(window.x + window.width, area.x + area.width) - Math.max(window.x, area.x);
  const height = Math.min(window.y + VISIBLE_MARGIN, area.y + area.height) - Math.max(window.y, area.y);
  return width >= VISIBLE_MARGIN && height >= Math.min(VISIBLE_MARGIN, window.height) / 2;
}

/**
 * The placement saved in `file`, fitted to the displays there are now: a window whose title bar
 * would be off every screen (a monitor unplugged since) opens centred, at most the size of the
 * largest display. A missing or damaged file gives the default placement.
 */
export function loadWindowPlacement(file: string, workAreas: readonly Rectangle[]): WindowPlacement {
  let saved: z.infer<typeof PlacementSchema>;
  try {
    saved = PlacementSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return { ...DEFAULT_PLACEMENT };
  }
  const largest = workAreas.reduce<Rectangle | null>((best, area) => (!best || area.width * area.height > best.width * best.height ? area : best), null) ?? { x: 0, y: 0, width: Infinity, height: Infinity };
  const width = Math.max(MIN_WINDOW_SIZE.width, Math.min(saved.width, largest.width));
  const height = Math.max(MIN_WINDOW_SIZE.height, Math.min(saved.height, largest.height));
  const onScreen = workAreas.some((area) => overlaps({ x: saved.x, y: saved.y, width, height }, area));
  return onScreen ? { x: saved.x, y: saved.y, width, height, maximized: saved.maximized } : { width, height, maximized: saved.maximized };
}

/** Saves the window's normal (unmaximised) bounds and whether it was maximised, atomically. */
export function saveWindowPlacement(file: string, bounds: Rectangle, maximized: boolean): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, JSON.stringify({ ...bounds, maximized }) + '\n');
  renameSync(temporary, file);
}
