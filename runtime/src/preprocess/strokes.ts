// Renders strokes the way MNIST was prepared: ink width proportional to the digit's size, fit in
// 20x20 keeping the aspect ratio, then centred by centre of mass in a 28x28 field.
import type { Stroke } from "../contracts/api.js";
import { createRaster, paintCapsule, centreOfMass, downsampleToBytes, type Raster } from "./raster.js";

/** Bump when the procedure changes: models record the id they were trained for. */
export const PREPROCESSING_ID = "mnist-com-v1";
export const IMAGE_SIZE = 28;
const BOX = 20;

export interface RenderOptions {
  /** pen diameter as a fraction of the longer side of the drawing's bounding box */
  penRatio: number;
  /** a drawing smaller than this fraction of the surface's shorter side is treated as this big */
  minSizeRatio: number;
  /** supersampling factor per output pixel */
  supersample: number;
}

export const DEFAULT_RENDER_OPTIONS: RenderOptions = { penRatio: 0.15, minSizeRatio: 0.04, supersample: 2 };

export interface StrokeBounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** The bounding box of every point of the strokes; null when they hold no point. */
export function strokeBounds(strokes: readonly Stroke[]): StrokeBounds | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const stroke of strokes) {
    for (const p of stroke) {
      if (p[0] < minX) minX = p[0];
      if (p[0] > maxX) maxX = p[0];
      if (p[1] < minY) minY = p[1];
      if (p[1] > maxY) maxY = p[1];
    }
  }
  return minX === Infinity ? null : { minX, minY, maxX, maxY };
}

/**
 * Strokes in surface pixels (origin top-left, y down) -> 784 bytes, row-major, white ink (255) on
 * black (0). An empty drawing gives an all-zero image. Pure: no I/O, no globals.
 */
export function renderStrokes(strokes: readonly Stroke[], width: number, height: number, options: Partial<RenderOptions> = {}): Uint8Array {
  const opt = { ...DEFAULT_RENDER_OPTIONS, ...options };
  const box = strokeBounds(strokes);
  if (box === null) return new Uint8Array(IMAGE_SIZE * IMAGE_SIZE);
  const { minX, minY, maxX, maxY } = box;

  // Size of the drawing, with a floor so that a tap stays a small dot instead of a huge blob.
  const floor = opt.minSizeRatio * Math.min(width, height);
  const size = Math.max(maxX - minX, maxY - minY, floor, 1e-6);
  const pen = opt.penRatio * size;
  const ss = opt.supersample;
  const scale = (BOX * ss) / (size + pen);
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const r = (pen * scale) / 2;

  // Pass 1: the digit centred by its bounding box in the 28x28 field plus a margin, to find its
  // centre of mass. Pass 2: render again, translated so the centre of mass is the field's centre.
  const margin = 4;
  const probeSide = (IMAGE_SIZE + 2 * margin) * ss;
  const probe = createRaster(probeSide, probeSide);
  paintStrokes(probe, strokes, scale, probeSide / 2 - cx * scale, probeSide / 2 - cy * scale, r);
  const com = centreOfMass(probe.data, probeSide, probeSide);
  if (com === null) return new Uint8Array(IMAGE_SIZE * IMAGE_SIZE);
  const side = IMAGE_SIZE * ss;
  const field = createRaster(side, side);
  // A point at probe coordinate p lands at p + side / 2 - com in the field.
  const offX = probeSide / 2 - cx * scale + side / 2 - com.x;
  const offY = probeSide / 2 - cy * scale + side / 2 - com.y;
  paintStrokes(field, strokes, scale, offX, offY, r);
  return downsampleToBytes(field, ss, 0, 0, IMAGE_SIZE, IMAGE_SIZE);
}

/** Paints every stroke as capsules after mapping x -> x * scale + offX, y -> y * scale + offY. */
function paintStrokes(raster: Raster, strokes: readonly Stroke[], scale: number, offX: number, offY: number, r: number): void {
  for (const stroke of strokes) {
    for (let k = 0; k < stroke.length; k++) {
      const a = stroke[k === 0 ? 0 : k - 1]!;
      const b = stroke[k]!;
      paintCapsule(raster, a[0] * scale + offX, a[1] * scale + offY, b[0] * scale + offX, b[1] * scale + offY, r);
    }
  }
}
