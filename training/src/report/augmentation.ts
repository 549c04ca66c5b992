// The augmentation grid of the report: either what the train CLI hands over (a PNG file or pixel arrays),
// or, when it hands over nothing, one row per digit of MNIST samples distorted with augment.ts's affineInto.
import { readFile } from "node:fs/promises";
import { affineInto, DEFAULT_AFFINE, type AffineRange } from "../augment.js";
import { PIXELS, type DigitSet } from "../data/dataset.js";
import { createRandom } from "../util/random.js";
import { digitGridPng } from "./images.js";

/** What the train CLI may pass: a ready PNG, or count 28x28 images laid out `columns` wide. */
export type AugmentationInput = { pngPath: string; caption?: string } | { images: Uint8Array; count: number; columns: number; caption?: string };

export async function augmentationFromInput(input: AugmentationInput): Promise<{ png: Buffer; caption: string }> {
  if ("pngPath" in input) return { png: await readFile(input.pngPath), caption: input.caption ?? "Augmented training samples (from the training run)." };
  return { png: await digitGridPng(input.images, input.count, input.columns, 2), caption: input.caption ?? "Augmented training samples (from the training run)." };
}

/** One row per digit: the original, then `variants` random affine distortions of it. */
export async function affineAugmentationGrid(set: DigitSet, variants = 9, seed = 1, range: AffineRange = DEFAULT_AFFINE): Promise<{ png: Buffer; caption: string }> {
  const random = createRandom(seed);
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
      affineInto(buffer, 0, set.images, index * PIXELS, range, random);
      for (let p = 0; p < PIXELS; p++) images[base + v * PIXELS + p] = Math.max(0, Math.min(255, Math.round(buffer[p]!)));
    }
  }
  const caption =
    `First column: an MNIST training digit; the others: random affine distortions of it as augment.ts makes them ` +
    `(rotation ±${range.rotateDeg}°, scale ±${Math.round(range.scale * 100)} %, shear ±${range.shear}, shift ±${range.shiftPx} px). ` +
    `The training run passed no grid of its own augmentation.`;
  return { png: await digitGridPng(images, 10 * columns, columns, 2), caption };
}
