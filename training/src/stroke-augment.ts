// Stroke-level augmentation, applied before renderStrokes so training sees what serving sees: affine
// (rotation, scale, shear), smooth wobble, point jitter, resampling density, point dropout, pen width.
import type { Point, Stroke } from "@digit-kiosk/runtime/contracts/api";
import { DEFAULT_RENDER_OPTIONS, strokeBounds, type RenderOptions } from "@digit-kiosk/runtime/preprocess/strokes";
import type { Random } from "./util/random.js";

export interface StrokeAugmentRange {
  /** max rotation, degrees */
  rotateDeg: number;
  /** max relative change of the overall scale (only matters for tiny drawings) and of x vs y (aspect) */
  aspect: number;
  /** max shear (x += shear * y) */
  shear: number;
  /** smooth wobble: amplitude as a fraction of the drawing size */
  wobble: number;
  /** independent per-point jitter, fraction of the drawing size */
  jitter: number;
  /** probability that an interior point is dropped */
  dropout: number;
  /** pen width: penRatio is multiplied by a factor in [1 - penWidth, 1 + penWidth] */
  penWidth: number;
}

/** Measured by writer-disjoint validation on pendigits (see the lead's note): readable, never a different digit. */
export const DEFAULT_STROKE_AUGMENT: StrokeAugmentRange = {
  rotateDeg: 12,
  aspect: 0.15,
  shear: 0.25,
  wobble: 0.03,
  jitter: 0.006,
  dropout: 0.15,
  penWidth: 0.35,
};

export interface AugmentedStrokes {
  strokes: Stroke[];
  render: Partial<RenderOptions>;
}

function bounds(strokes: readonly Stroke[]): { cx: number; cy: number; size: number } {
  const box = strokeBounds(strokes);
  if (box === null) return { cx: 0, cy: 0, size: 1 };
  const { minX, minY, maxX, maxY } = box;
  return { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, size: Math.max(maxX - minX, maxY - minY, 1e-6) };
}

/** Low-frequency displacement field: a few random sinusoids over the drawing. */
function wobbleField(random: Random, amplitude: number, size: number): (x: number, y: number) => [number, number] {
  const waves = Array.from({ length: 3 }, () => ({
    fx: ((random.next() * 2 - 1) * 2 * Math.PI) / size,
    fy: ((random.next() * 2 - 1) * 2 * Math.PI) / size,
    phase: random.next() * 2 * Math.PI,
    ax: (random.next() * 2 - 1) * amplitude * size,
    ay: (random.next() * 2 - 1) * amplitude * size,
  }));
  return (x, y) => {
    let dx = 0, dy = 0;
    for (const w of waves) {
      const s = Math.sin(w.fx * x + w.fy * y + w.phase);
      dx += w.ax * s;
      dy += w.ay * s;
    }
    return [dx, dy];
  };
}

/** Densifies a polyline so consecutive points are at most `step` apart (a finger at 60 Hz gives dense points). */
function densify(stroke: Stroke, step: number): Stroke {
  if (stroke.length < 2) return stroke;
  const out: Stroke = [stroke[0]!];
  for (let k = 1; k < stroke.length; k++) {
    const a = stroke[k - 1]!;
    const b = stroke[k]!;
    const n = Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / step);
    for (let i = 1; i <= n; i++) out.push([a[0] + ((b[0] - a[0]) * i) / n, a[1] + ((b[1] - a[1]) * i) / n]);
  }
  return out;
}

/** One random variation of a drawing: same surface, same number of strokes, new points. */
export function augmentStrokes(strokes: readonly Stroke[], range: StrokeAugmentRange, random: Random): AugmentedStrokes {
  const u = (): number => 2 * random.next() - 1;
  const { cx, cy, size } = bounds(strokes);
  const angle = (u() * range.rotateDeg * Math.PI) / 180;
  const sx = 1 + u() * range.aspect;
  const sy = 1 + u() * range.aspect;
  const shear = u() * range.shear;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const wobble = range.wobble > 0 ? wobbleField(random, range.wobble, size) : null;
  // half the time the points are dense (finger-like), else as recorded
  const dense = random.next() < 0.5;
  const out: Stroke[] = [];
  for (const stroke of strokes) {
    const source = dense ? densify(stroke, size / 40) : stroke;
    const points: Stroke = [];
    for (let k = 0; k < source.length; k++) {
      const interior = k > 0 && k < source.length - 1;
      if (interior && random.next() < range.dropout) continue;
      const p = source[k]!;
      let x = p[0] - cx;
      let y = p[1] - cy;
      if (wobble !== null) {
        const [dx, dy] = wobble(x, y);
        x += dx;
        y += dy;
      }
      x += range.jitter * size * random.normal();
      y += range.jitter * size * random.normal();
      const shx = sx * (x + shear * y);
      const shy = sy * y;
      const q: Point = [cx + cos * shx - sin * shy, cy + sin * shx + cos * shy];
      points.push(q);
    }
    out.push(points);
  }
  const penRatio = DEFAULT_RENDER_OPTIONS.penRatio * (1 + u() * range.penWidth);
  return { strokes: out, render: { penRatio } };
}
