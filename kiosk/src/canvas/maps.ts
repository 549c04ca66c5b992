// Paints feature maps: a colour scale for activations, and a grid of maps fitted into a canvas.

type Rgb = [number, number, number];

/** Dark to bright (in the spirit of "inferno"): readable on the dark screen, bright where a filter fires. */
const STOPS: Rgb[] = [
  [10, 12, 20],
  [60, 14, 110],
  [150, 36, 104],
  [222, 82, 56],
  [252, 168, 20],
  [252, 255, 164],
];

/** 256 RGB entries, byte value -> colour. */
export const HEAT: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) {
    const pos = (v / 255) * (STOPS.length - 1);
    const i = Math.min(STOPS.length - 2, Math.floor(pos));
    const f = pos - i;
    const a = STOPS[i]!;
    const b = STOPS[i + 1]!;
    for (let c = 0; c < 3; c++) lut[v * 3 + c] = Math.round(a[c]! + (b[c]! - a[c]!) * f);
  }
  return lut;
})();

/** 256 RGB entries of plain grey: the input image as the model sees it. */
export const GREY: Uint8Array = (() => {
  const lut = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) lut.fill(v, v * 3, v * 3 + 3);
  return lut;
})();

export interface GridLayout {
  cols: number;
  rows: number;
  /** side of one map, device px */
  cell: number;
  gap: number;
}

/** The arrangement of `count` square maps in a width x height box that makes each map largest; full rows only (4x4, not 3x6). */
export function fitGrid(count: number, width: number, height: number, gap: number): GridLayout {
  let best: GridLayout = { cols: 1, rows: count, cell: 0, gap };
  for (let cols = 1; cols <= count; cols++) {
    if (count % cols !== 0) continue;
    const rows = count / cols;
    const cell = Math.floor(Math.min((width - (cols - 1) * gap) / cols, (height - (rows - 1) * gap) / rows));
    if (cell > best.cell) best = { cols, rows, cell, gap };
  }
  return best;
}

export interface MapStack {
  channels: number;
  height: number;
  width: number;
  /** channels * height * width bytes */
  maps: Uint8Array | null;
}

/**
 * Draws every map of the stack into the canvas (its backing store already sized), centred, with crisp
 * pixels; an absent stack draws empty cells.
 */
export function paintMaps(canvas: HTMLCanvasElement, stack: MapStack, lut: Uint8Array, scratch: HTMLCanvasElement): void {
  const ctx = canvas.getContext("2d");
  if (ctx === null) return;
  const { channels, height, width, maps } = stack;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const gap = Math.max(2, Math.round(canvas.width / 120));
  const layout = fitGrid(channels, canvas.width, canvas.height, gap);
  if (layout.cell <= 0) return;
  const gridW = layout.cols * layout.cell + (layout.cols - 1) * gap;
  const gridH = layout.rows * layout.cell + (layout.rows - 1) * gap;
  const left = Math.floor((canvas.width - gridW) / 2);
  const top = Math.floor((canvas.height - gridH) / 2);
  scratch.width = width;
  scratch.height = height;
  const sctx = scratch.getContext("2d");
  if (sctx === null) return;
  const image = sctx.createImageData(width, height);
  ctx.imageSmoothingEnabled = false;
  const size = width * height;
  for (let c = 0; c < channels; c++) {
    const x = left + (c % layout.cols) * (layout.cell + gap);
    const y = top + Math.floor(c / layout.cols) * (layout.cell + gap);
    if (maps === null) {
      ctx.fillStyle = "#10151c";
      ctx.fillRect(x, y, layout.cell, layout.cell);
      continue;
    }
    for (let i = 0; i < size; i++) {
      const v = maps[c * size + i] ?? 0;
      image.data[i * 4] = lut[v * 3]!;
      image.data[i * 4 + 1] = lut[v * 3 + 1]!;
      image.data[i * 4 + 2] = lut[v * 3 + 2]!;
      image.data[i * 4 + 3] = 255;
    }
    sctx.putImageData(image, 0, 0);
    ctx.drawImage(scratch, x, y, layout.cell, layout.cell);
  }
}
