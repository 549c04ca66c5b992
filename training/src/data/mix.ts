// Weighted, seedable mixes of training sources: image sets (affine + thickness augmentation on 28x28),
// stroke drawings (stroke augmentation, then the runtime's renderStrokes) and generated non-digits.
import { renderStrokes } from "@digit-kiosk/runtime/preprocess/index";
import { affineInto, DEFAULT_ELASTIC, type AffineRange } from "../augment.js";
import { augmentStrokes, type StrokeAugmentRange } from "../stroke-augment.js";
import { createRandom, permutation, type Random } from "../util/random.js";
import { PIXELS, type DigitSet } from "./dataset.js";
import type { Drawing } from "./strokes.js";

/** One kind of training sample. */
export interface SampleSource {
  name: string;
  /** distinct base samples (a generator reports its nominal size) */
  size: number;
  /** Writes sample k (0 <= k < size), freshly augmented when asked, as 784 floats 0..255; returns its label (0..9, or 10 = not a digit). */
  draw(k: number, out: Float32Array, offset: number, random: Random, augment: boolean): number;
}

/**
 * Thicker or thinner ink: blends the image with its 4-neighbour max (dilation, amount > 0) or min
 * (erosion, amount < 0). A 28x28 stroke is only 2-3 px wide, so the blend is partial.
 */
export function thicknessInto(img: Float32Array, offset: number, amount: number): void {
  if (amount === 0) return;
  const src = img.slice(offset, offset + PIXELS);
  const grow = amount > 0;
  const a = Math.abs(amount);
  const at = (x: number, y: number): number => (y < 0 || y >= 28 || x < 0 || x >= 28 ? 0 : src[y * 28 + x]!);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const c = src[y * 28 + x]!;
      const n = [at(x - 1, y), at(x + 1, y), at(x, y - 1), at(x, y + 1)];
      const v = grow ? Math.max(c, ...n) : Math.min(c, ...n);
      img[offset + y * 28 + x] = c * (1 - a) + v * a;
    }
  }
}

/** Share of augmented image samples that are also elastically distorted. */
export const ELASTIC_SHARE = 0.5;

/**
 * Share of image samples drawn as they are, even when augmenting: the affine map moves and scales a
 * digit away from MNIST's own 20x20, centre-of-mass placement and resamples its ink, and the raw
 * MNIST test has exactly that placement and ink. (Normalizing distorted images again, as serving
 * does, was measured: it costs raw MNIST about a point, since serving's resampling blurs them.)
 */
export const PLAIN_IMAGE_SHARE = 0.25;

/**
 * A DigitSet; augmented (all but PLAIN_IMAGE_SHARE of the draws): a random affine map, half of the
 * time an elastic distortion, and a third of the time somewhat thicker or thinner ink.
 */
export function imageSource(name: string, set: DigitSet, affine: AffineRange): SampleSource {
  return {
    name,
    size: set.count,
    draw(k, out, offset, random, augment) {
      if (augment && random.next() >= PLAIN_IMAGE_SHARE) {
        const elastic = random.next() < ELASTIC_SHARE ? DEFAULT_ELASTIC : null;
        affineInto(out, offset, set.images, k * PIXELS, affine, random, elastic);
        const t = random.next();
        if (t < 0.2) thicknessInto(out, offset, random.next() * 0.6);
        else if (t < 0.3) thicknessInto(out, offset, -random.next() * 0.3);
      } else {
        for (let p = 0; p < PIXELS; p++) out[offset + p] = set.images[k * PIXELS + p]!;
      }
      return set.labels[k]!;
    },
  };
}

function renderInto(out: Float32Array, offset: number, d: Drawing, random: Random, range: StrokeAugmentRange | null): void {
  const aug = range === null ? null : augmentStrokes(d.strokes, range, random);
  const img = renderStrokes(aug?.strokes ?? d.strokes, d.width, d.height, aug?.render ?? {});
  for (let p = 0; p < PIXELS; p++) out[offset + p] = img[p]!;
}

/** Drawings rendered through the runtime's renderStrokes, after stroke augmentation when asked. */
export function drawingSource(name: string, drawings: readonly Drawing[], range: StrokeAugmentRange): SampleSource {
  return {
    name,
    size: drawings.length,
    draw(k, out, offset, random, augment) {
      const d = drawings[k]!;
      renderInto(out, offset, d, random, augment ? range : null);
      return d.label;
    },
  };
}

/** A fresh generated drawing per call (k is ignored): e.g. the non-digits. */
export function generatedSource(name: string, nominalSize: number, make: (random: Random) => Drawing): SampleSource {
  return {
    name,
    size: nominalSize,
    draw(_k, out, offset, random) {
      const d = make(random);
      renderInto(out, offset, d, random, null);
      return d.label;
    },
  };
}

export interface WeightedSource {
  source: SampleSource;
  weight: number;
}

/** Where a SampleMix stands: its random state, each source's shuffled order and cursor (for checkpoints). */
export interface MixState {
  random: number;
  orders: Uint32Array[];
  cursors: number[];
}

/**
 * Draws samples from sources in proportion to their weights. Each source is walked in its own
 * shuffled order (reshuffled when it wraps), so every base sample is used before any repeats.
 * Deterministic for a given seed.
 */
export class SampleMix {
  readonly parts: WeightedSource[];
  private readonly cumulative: number[];
  private readonly orders: Uint32Array[];
  private readonly cursors: number[];
  private readonly random: Random;

  constructor(parts: WeightedSource[], seed: number) {
    const problems = parts.flatMap((p) =>
      !(p.weight > 0) ? [`${p.source.name}: weight must be > 0, got ${p.weight}`] : p.source.size < 1 ? [`${p.source.name}: no samples`] : [],
    );
    if (parts.length === 0) problems.push("no sources");
    if (problems.length > 0) throw new Error(`bad data mix: ${problems.join("; ")}`);
    this.parts = parts;
    const total = parts.reduce((a, p) => a + p.weight, 0);
    let acc = 0;
    this.cumulative = parts.map((p) => (acc += p.weight / total));
    this.random = createRandom(seed);
    this.orders = parts.map((p) => permutation(p.source.size, this.random));
    this.cursors = parts.map(() => 0);
  }

  /** Share of each source, by name. */
  shares(): Record<string, number> {
    const total = this.parts.reduce((a, p) => a + p.weight, 0);
    return Object.fromEntries(this.parts.map((p) => [p.source.name, p.weight / total]));
  }

  /** A copy of where the mix stands; restoreState of it continues with the same samples. */
  saveState(): MixState {
    return { random: this.random.state(), orders: this.orders.map((o) => o.slice()), cursors: [...this.cursors] };
  }

  /** Continues from a saveState of a mix with the same sources (checked: count, sizes, cursors, indices). */
  restoreState(state: MixState): void {
    const problems: string[] = [];
    if (state.orders.length !== this.parts.length || state.cursors.length !== this.parts.length) {
      problems.push(`${state.orders.length} orders and ${state.cursors.length} cursors for ${this.parts.length} sources`);
    } else {
      this.parts.forEach((p, i) => {
        const order = state.orders[i]!;
        const cursor = state.cursors[i]!;
        const size = p.source.size;
        if (order.length !== size) problems.push(`${p.source.name}: order of ${order.length} for ${size} samples`);
        else if (order.some((k) => k >= size)) problems.push(`${p.source.name}: order has an index >= ${size}`);
        if (!Number.isInteger(cursor) || cursor < 0 || cursor > size) problems.push(`${p.source.name}: cursor ${cursor} outside 0..${size}`);
      });
    }
    if (problems.length > 0) throw new Error(`mix state does not fit this mix: ${problems.join("; ")}`);
    this.random.restore(state.random);
    state.orders.forEach((o, i) => (this.orders[i] = o.slice()));
    state.cursors.forEach((c, i) => (this.cursors[i] = c));
  }

  /** Writes the next sample into out at offset; returns its label. `random` drives the augmentation. */
  next(out: Float32Array, offset: number, random: Random, augment: boolean): number {
    const t = this.random.next();
    let i = this.cumulative.findIndex((c) => t < c);
    if (i < 0) i = this.parts.length - 1;
    const part = this.parts[i]!;
    if (this.cursors[i]! >= part.source.size) {
      this.orders[i] = permutation(part.source.size, this.random);
      this.cursors[i] = 0;
    }
    const k = this.orders[i]![this.cursors[i]!++]!;
    return part.source.draw(k, out, offset, random, augment);
  }
}
