// Paints strokes on a canvas like ink: a low-latency (desynchronized) context where the browser has one,
// devicePixelRatio-aware, smoothed with quadratic curves through the midpoints, incremental while drawing.
import type { Stroke } from "@digit-kiosk/runtime/contracts/api";

export const SURFACE_COLOR = "#000000";
export const INK_COLOR = "#f4f6f8";

/** Ink thickness as a fraction of the canvas's shorter side (display only: the runtime renders its own). */
const INK_FRACTION = 0.05;

export class InkRenderer {
  private readonly ctx: CanvasRenderingContext2D;
  private cssWidth = 0;
  private cssHeight = 0;
  private lineWidth = 1;
  /** What is on the canvas already: the drawing's generation and, per stroke, how many points. */
  private generation = -1;
  private painted: number[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {
    // desynchronized: the canvas skips the compositor's frame queue, so ink follows the finger sooner.
    const ctx = canvas.getContext("2d", { alpha: false, desynchronized: true });
    if (ctx === null) throw new Error("2d canvas context is unavailable");
    this.ctx = ctx;
  }

  /** Sizes the backing store to device pixels; the drawing is in CSS pixels. */
  resize(cssWidth: number, cssHeight: number, deviceWidth: number, deviceHeight: number): void {
    this.cssWidth = cssWidth;
    this.cssHeight = cssHeight;
    this.canvas.width = Math.max(1, deviceWidth);
    this.canvas.height = Math.max(1, deviceHeight);
    this.lineWidth = Math.max(6, Math.min(cssWidth, cssHeight) * INK_FRACTION);
    this.generation = -1;
  }

  /** Paints what changed since the last call; everything when the drawing was cleared or resized. */
  update(strokes: readonly Stroke[], generation: number): void {
    if (generation !== this.generation || strokes.length < this.painted.length) {
      this.clear();
      this.generation = generation;
    }
    const ctx = this.ctx;
    strokes.forEach((stroke, i) => {
      const from = this.painted[i] ?? 0;
      if (from >= stroke.length) return;
      const first = stroke[0];
      if (from === 0 && stroke.length === 1 && first !== undefined) {
        ctx.beginPath();
        ctx.arc(first[0], first[1], this.lineWidth / 2, 0, Math.PI * 2);
        ctx.fill();
      } else {
        paintSmooth(ctx, stroke, from);
      }
      this.painted[i] = stroke.length;
    });
  }

  private clear(): void {
    const ctx = this.ctx;
    const scaleX = this.canvas.width / Math.max(1, this.cssWidth);
    const scaleY = this.canvas.height / Math.max(1, this.cssHeight);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = SURFACE_COLOR;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(scaleX, 0, 0, scaleY, 0, 0);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = this.lineWidth;
    ctx.strokeStyle = INK_COLOR;
    ctx.fillStyle = INK_COLOR;
    this.painted = [];
  }
}

const mid = (a: Stroke[number], b: Stroke[number]): [number, number] => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];

/**
 * Paints points from..end of a stroke as quadratic curves through the midpoints (each point is a
 * control point), then a straight tail to the last point. Continuing a stroke starts again at the
 * midpoint where the curves ended, so the painted line stays one smooth path.
 */
function paintSmooth(ctx: CanvasRenderingContext2D, stroke: Stroke, from: number): void {
  const n = stroke.length;
  const first = stroke[0];
  if (first === undefined || n < 2) return;
  ctx.beginPath();
  if (from <= 1) ctx.moveTo(first[0], first[1]);
  else {
    const [x, y] = mid(stroke[from - 2]!, stroke[from - 1]!);
    ctx.moveTo(x, y);
  }
  for (let j = Math.max(1, from - 1); j < n - 1; j++) {
    const p = stroke[j]!;
    const [x, y] = mid(p, stroke[j + 1]!);
    ctx.quadraticCurveTo(p[0], p[1], x, y);
  }
  const last = stroke[n - 1]!;
  ctx.lineTo(last[0], last[1]);
  ctx.stroke();
}
