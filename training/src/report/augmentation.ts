// The augmentation grid of the report: either what the train CLI hands over (a PNG file or pixel arrays),
// or, when it hands over nothing, one row per digit of MNIST samples augmented exactly as training augments
// image sources (mix.ts imageSource: affine map, elastic distortion, ink thickness).
import { readFile } from "node:fs/promises";
import { DEFAULT_AFFINE, DEFAULT_ELASTIC, type AffineRange } from "../augment.js";
import { PIXELS, type DigitSet } from "../data/dataset.js";
import { ELASTIC_SHARE, imageSource, PLAIN_IMAGE_SHARE } from "../data/mix.js";
import { createRandom } from "../util/random.js";
import { digitGridPng } from "./images.js";

/** What the train CLI may pass: a ready PNG, or count 28x28 images laid out `columns` wide. */
export type AugmentationInput = { pngPath: string; caption?: string } | { images: Uint8Array; count: number; columns: number; caption?: string };

export async function augmentationFromInput(input: AugmentationInput): Promise<{ png: Buffer; caption: string }> {
  if ("pngPath" in input) return { png: await readFile(input.pngPath), caption: input.caption ?? "Augmented training samples (from the training run)." };
  return { png: await digitGridPng(input.images, input.count, input.columns, 2), caption: input.caption ?? "Augmented training samples (from the training run)." };
}

/** One row per digit: the original, then `variants` augmented copies of it, as training draws them. */
export async function imageAugmentationGrid(set: DigitSet, variants = 9, seed = 1, range: AffineRange = DEFAULT_AFFINE): Promise<{ png: Buffer; caption: string }> {
  const random = createRandom(seed);
  const source = imageSource("grid", set, range);
  const columns = variants + 1;
  const images = new Uint8Array(10 * columns * PIXELS);
  const buffer = new Float32Array(PIXELS);
  for (let digit = 0; digit < 10; digit++) {
    let index = -1;
    for (let i = 0; i < set.count; i++) {
      if (set.labels[i] === digit) {
        index = i;
        break;
      }
    }
    if (index < 0) continue;
    const base = digit * columns * PIXELS;
    images.set(set.images.subarray(index * PIXELS, (index + 1) * PIXELS), base);
    for (let v = 1; v < columns; v++) {
      source.draw(index, buffer, 0, random, true);
      for (let p = 0; p < PIXELS; p++) images[base + v * PIXELS + p] = Math.max(0, Math.min(255, Math.round(buffer[p]!)));
    }
  }
  const caption =
    `First column: an MNIST training digit; the others: copies of it as training draws them (${Math.round(PLAIN_IMAGE_SHARE * 100)} % as they are, the rest augmented): ` +
    `a random affine map (rotation ±${range.rotateDeg}°, scale ±${Math.round(range.scale * 100)} %, shear ±${range.shear}, shift ±${range.shiftPx} px), ` +
    `for ${Math.round(ELASTIC_SHARE * 100)} % of them an elastic distortion (alpha ${DEFAULT_ELASTIC.alpha}, sigma ${DEFAULT_ELASTIC.sigma} px), ` +
    `and for a third of them thicker or thinner ink. ` +
    `The training run passed no grid of its own augmentation.`;
  return { png: await digitGridPng(images, 10 * columns, columns, 2), caption };
}
