// Generates drawings that are not digits: scribbles, hatching, spirals, letters and symbols, two digits
// side by side, taps and near-empty drawings. Deterministic for a given random generator.
import type { Stroke } from "@digit-kiosk/runtime/contracts/api";
import { strokeBounds } from "@digit-kiosk/runtime/preprocess/strokes";
import { NOT_A_DIGIT, type Drawing } from "../data/strokes.js";
import { augmentStrokes, DEFAULT_STROKE_AUGMENT } from "../stroke-augment.js";
import type { Random } from "../util/random.js";
import { templateStrokes } from "./templates.js";

export const NON_DIGIT_KINDS = ["scribble", "hatch", "spiral", "symbol", "pair", "tiny", "dots"] as const;
export type NonDigitKind = (typeof NON_DIGIT_KINDS)[number];

export interface NonDigitOptions {
  /** letter and symbol templates to draw from */
  templates: readonly string[];
  /** digit drawings to make pairs from (pairs are skipped when empty) */
  digits: readonly Drawing[];
  /** relative frequency of each kind (default: equal) */
  kindWeights?: Partial<Record<NonDigitKind, number>>;
}

const range = (random: Random, lo: number, hi: number): number => lo + (hi - lo) * random.next();
const round = (v: number): number => Math.round(v * 10) / 10;

function surface(random: Random): { width: number; height: number } {
  return { width: Math.round(range(random, 280, 900)), height: Math.round(range(random, 280, 900)) };
}

function scribble(random: Random, w: number, h: number): Stroke[] {
  const strokes: Stroke[] = [];
  const size = Math.min(w, h) * range(random, 0.3, 0.8);
  const x0 = (w - size) / 2;
  const y0 = (h - size) / 2;
  const nStrokes = 1 + random.int(3);
  for (let s = 0; s < nStrokes; s++) {
    let x = x0 + random.next() * size;
    let y = y0 + random.next() * size;
    let heading = random.next() * 2 * Math.PI;
    const turn = range(random, 0.2, 0.9);
    const n = 15 + random.int(60);
    const step = size / range(random, 8, 20);
    const stroke: Stroke = [];
    for (let k = 0; k < n; k++) {
      stroke.push([round(x), round(y)]);
      heading += turn * random.normal();
      x = Math.min(x0 + size, Math.max(x0, x + step * Math.cos(heading)));
      y = Math.min(y0 + size, Math.max(y0, y + step * Math.sin(heading)));
    }
    strokes.push(stroke);
  }
  return strokes;
}

function hatch(random: Random, w: number, h: number): Stroke[] {
  const size = Math.min(w, h) * range(random, 0.3, 0.8);
  const aspect = range(random, 0.4, 1.6);
  const bw = size * Math.min(1, aspect);
  const bh = size * Math.min(1, 1 / aspect);
  const x0 = (w - bw) / 2;
  const y0 = (h - bh) / 2;
  const lines = 4 + random.int(10);
  const stroke: Stroke = [];
  const vertical = random.next() < 0.5;
  for (let k = 0; k <= lines; k++) {
    const t = k / lines;
    const a: [number, number] = vertical ? [x0 + t * bw, y0] : [x0, y0 + t * bh];
    const b: [number, number] = vertical ? [x0 + t * bw, y0 + bh] : [x0 + bw, y0 + t * bh];
    stroke.push(...(k % 2 === 0 ? [a, b] : [b, a]).map(([x, y]): [number, number] => [round(x + random.normal() * size * 0.02), round(y)]));
  }
  return [stroke];
}

function spiral(random: Random, w: number, h: number): Stroke[] {
  const r = (Math.min(w, h) * range(random, 0.15, 0.4)) / 1;
  const turns = range(random, 2, 5);
  const cx = w / 2;
  const cy = h / 2;
  const n = Math.round(turns * 24);
  const dir = random.next() < 0.5 ? 1 : -1;
  const squash = range(random, 0.6, 1.4);
  const stroke: Stroke = [];
  for (let k = 0; k <= n; k++) {
    const t = k / n;
    const a = dir * t * turns * 2 * Math.PI;
    stroke.push([round(cx + r * t * Math.cos(a)), round(cy + r * t * squash * Math.sin(a))]);
  }
  return [stroke];
}

function symbol(random: Random, w: number, h: number, templates: readonly string[]): { strokes: Stroke[]; kind: string } {
  const name = templates[random.int(templates.length)]!;
  const size = Math.min(w, h) * range(random, 0.3, 0.8);
  const bw = size * range(random, 0.6, 1);
  const strokes = templateStrokes(name, (w - bw) / 2, (h - size) / 2, bw, size);
  return { strokes: augmentStrokes(strokes, DEFAULT_STROKE_AUGMENT, random).strokes, kind: `symbol:${name}` };
}

/** Two digits side by side (sometimes overlapping a little, sometimes one a bit higher). */
function pair(random: Random, w: number, h: number, digits: readonly Drawing[]): Stroke[] {
  const parts = [digits[random.int(digits.length)]!, digits[random.int(digits.length)]!];
  const height = Math.min(w / 2.4, h) * range(random, 0.45, 0.85);
  const out: Stroke[] = [];
  let cursor = (w - 2.2 * height * 0.7) / 2;
  for (const d of parts) {
    const box = strokeBounds(d.strokes);
    if (box === null) continue;
    const { minX, minY, maxX, maxY } = box;
    const scale = height / Math.max(maxY - minY, 1e-6);
    const dy = (h - height) / 2 + random.normal() * height * 0.08;
    const x0 = cursor;
    out.push(...d.strokes.map((s) => s.map((p): [number, number] => [round(x0 + (p[0] - minX) * scale), round(dy + (p[1] - minY) * scale)])));
    const width = Math.max((maxX - minX) * scale, height * 0.35);
    cursor = x0 + width + height * range(random, 0.1, 0.45);
  }
  return out;
}

/** A tap, a short smudge or a tiny scribble: much smaller than any digit people draw. */
function tiny(random: Random, w: number, h: number): Stroke[] {
  const cx = range(random, 0.2, 0.8) * w;
  const cy = range(random, 0.2, 0.8) * h;
  const kind = random.int(3);
  if (kind === 0) return [[[round(cx), round(cy)]]];
  const size = Math.min(w, h) * range(random, 0.005, 0.03);
  const n = kind === 1 ? 2 + random.int(3) : 6 + random.int(12);
  const stroke: Stroke = [];
  for (let k = 0; k < n; k++) stroke.push([round(cx + size * (random.next() - 0.5)), round(cy + size * (random.next() - 0.5))]);
  return [stroke];
}

function dots(random: Random, w: number, h: number): Stroke[] {
  const n = 2 + random.int(5);
  const size = Math.min(w, h) * range(random, 0.2, 0.7);
  return Array.from({ length: n }, (): Stroke => {
    const x = (w - size) / 2 + random.next() * size;
    const y = (h - size) / 2 + random.next() * size;
    return random.next() < 0.5 ? [[round(x), round(y)]] : [[round(x), round(y)], [round(x + size * 0.02), round(y + size * 0.02)]];
  });
}

function pickKind(random: Random, options: NonDigitOptions): NonDigitKind {
  const kinds = NON_DIGIT_KINDS.filter((k) => (k !== "pair" || options.digits.length > 0) && (k !== "symbol" || options.templates.length > 0));
  const weights = kinds.map((k) => options.kindWeights?.[k] ?? 1);
  let t = random.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < kinds.length; i++) {
    t -= weights[i]!;
    if (t < 0) return kinds[i]!;
  }
  return kinds[kinds.length - 1]!;
}

/** One drawing that is not a digit. */
export function generateNonDigit(random: Random, options: NonDigitOptions): Drawing {
  const { width, height } = surface(random);
  const kind = pickKind(random, options);
  let strokes: Stroke[];
  let label: string = kind;
  switch (kind) {
    case "scribble":
      strokes = scribble(random, width, height);
      break;
    case "hatch":
      strokes = hatch(random, width, height);
      break;
    case "spiral":
      strokes = spiral(random, width, height);
      break;
    case "symbol": {
      const s = symbol(random, width, height, options.templates);
      strokes = s.strokes;
      label = s.kind;
      break;
    }
    case "pair":
      strokes = pair(random, width, height, options.digits);
      break;
    case "tiny":
      strokes = tiny(random, width, height);
      break;
    case "dots":
      strokes = dots(random, width, height);
      break;
  }
  return { strokes, width, height, label: NOT_A_DIGIT, kind: label };
}
