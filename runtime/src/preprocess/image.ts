// Grey images -> 28x28 MNIST-style input: ink crop, fit in 20x20 keeping the aspect ratio, centre of
// mass at the centre, with area (box) resampling. The image counterpart of renderStrokes.
import { IMAGE_SIZE } from "./strokes.js";

const BOX = 20;
/** ink below this (0..1) does not count towards the bounding box */
const INK_THRESHOLD = 0.1;

/** An ink map: values 0 (background) .. 1 (full ink), row-major. */
export interface InkMap {
  width: number;
  height: number;
  ink: Float32Array;
}

/**
 * Resamples one axis with a box filter: `src` has n samples; output sample k covers source interval
 * [(k - offset) / scale, (k + 1 - offset) / scale). Returns for each output index the list of
 * (source index, weight) pairs, weights summing to the covered fraction of that interval.
 */
function boxWeights(n: number, outN: number, scale: number, offset: number): Array<Array<[number, number]>> {
  const weights: Array<Array<[number, number]>> = [];
  for (let k = 0; k < outN; k++) {
    const a = (k - offset) / scale;
    const b = (k + 1 - offset) / scale;
    const row: Array<[number, number]> = [];
    for (let i = Math.max(0, Math.floor(a)); i < Math.min(n, Math.ceil(b)); i++) {
      const overlap = Math.min(b, i + 1) - Math.max(a, i);
      if (overlap > 0) row.push([i, overlap * scale]);
    }
    weights.push(row);
  }
  return weights;
}

function resample(src: InkMap, scale: number, offX: number, offY: number): Float32Array {
  const wx = boxWeights(src.width, IMAGE_SIZE, scale, offX);
  const wy = boxWeights(src.height, IMAGE_SIZE, scale, offY);
  // Rows first (src.height x 28), then columns (28 x 28).
  const tmp = new Float32Array(src.height * IMAGE_SIZE);
  for (let y = 0; y < src.height; y++) {
    const row = y * src.width;
    for (let k = 0; k < IMAGE_SIZE; k++) {
      let acc = 0;
      for (const [i, w] of wx[k]!) acc += src.ink[row + i]! * w;
      tmp[y * IMAGE_SIZE + k] = acc;
    }
  }
  const out = new Float32Array(IMAGE_SIZE * IMAGE_SIZE);
  for (let k = 0; k < IMAGE_SIZE; k++) {
    for (let x = 0; x < IMAGE_SIZE; x++) {
      let acc = 0;
      for (const [j, w] of wy[k]!) acc += tmp[j * IMAGE_SIZE + x]! * w;
      out[k * IMAGE_SIZE + x] = acc;
    }
  }
  return out;
}

/** Ink map -> 784 bytes, white ink on black; an image with no ink gives all zeros. */
export function prepareInk(map: InkMap): Uint8Array {
  const { width, height, ink } = map;
  let minX = width, minY = height, maxX = -1, maxY = -1;
  let peak = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = ink[y * width + x]!;
      if (v > peak) peak = v;
      if (v <= INK_THRESHOLD) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  const out = new Uint8Array(IMAGE_SIZE * IMAGE_SIZE);
  if (maxX < 0) return out;

  // Centre of mass of the ink inside the crop, in source pixels (pixel centres at +0.5).
  let sum = 0, sx = 0, sy = 0;
  for (let y = minY; y <= maxY; y++) {
    for (let x = minX; x <= maxX; x++) {
      const v = ink[y * width + x]!;
      sum += v;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
    }
  }
  const scale = BOX / Math.max(maxX - minX + 1, maxY - minY + 1);
  // Output position of source x is x * scale + off; the centre of mass lands on the field's centre.
  const offX = IMAGE_SIZE / 2 - (sx / sum) * scale;
  const offY = IMAGE_SIZE / 2 - (sy / sum) * scale;
  const field = resample(map, scale, offX, offY);
  // Full ink in the source is 255 here, however faint the drawing's darkest stroke was.
  const norm = 255 / Math.max(peak, 1e-6);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.round(field[i]! * norm));
  return out;
}

/**
 * Grey pixels (0..255, one channel) -> ink map. The background is the median of the border: light
 * borders mean dark ink on light (inverted), dark borders mean light ink on dark.
 */
export function inkFromGrey(grey: Uint8Array, width: number, height: number): InkMap {
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(grey[x]!, grey[(height - 1) * width + x]!);
  for (let y = 1; y < height - 1; y++) border.push(grey[y * width]!, grey[y * width + width - 1]!);
  border.sort((a, b) => a - b);
  const bg = border[border.length >> 1]!;
  const light = bg >= 128;
  const range = Math.max(1, light ? bg : 255 - bg);
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) {
    const v = light ? (bg - grey[i]!) / range : (grey[i]! - bg) / range;
    ink[i] = v <= 0 ? 0 : v >= 1 ? 1 : v;
  }
  return { width, height, ink };
}
