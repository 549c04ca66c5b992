// Paints strokes on a canvas: devicePixelRatio-aware backing store, round ink, incremental while drawing.
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
    const ctx = canvas.getContext("2d", { alpha: false });
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
        ctx.beginPath();
        const start = stroke[Math.max(0, from - 1)];
        if (start !== undefined) ctx.moveTo(start[0], start[1]);
        for (let j = Math.max(1, from); j < stroke.length; j++) {
          const p = stroke[j];
          if (p !== undefined) ctx.lineTo(p[0], p[1]);
        }
        ctx.stroke();
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
