// The in-memory shape every digit loader returns: 28x28 grey images (white ink on black) and their labels.

export const PIXELS = 28 * 28;

export interface DigitSet {
  /** count * 784 bytes, row-major, 0 = background, 255 = ink */
  images: Uint8Array;
  /** count labels, 0..9 */
  labels: Uint8Array;
  count: number;
}

/** Checks the invariants of a DigitSet; throws naming the first broken one. */
export function checkDigitSet(set: DigitSet, what: string): DigitSet {
  if (set.images.length !== set.count * PIXELS) {
    throw new Error(`${what}: ${set.images.length} image bytes for ${set.count} images (expected ${set.count * PIXELS})`);
  }
  if (set.labels.length !== set.count) throw new Error(`${what}: ${set.labels.length} labels for ${set.count} images`);
  for (let i = 0; i < set.count; i++) {
    if (set.labels[i]! > 9) throw new Error(`${what}: label ${set.labels[i]} at index ${i} is not a digit`);
  }
  return set;
}

/** The first n images of a set (all of it when n >= count). */
export function takeFirst(set: DigitSet, n: number): DigitSet {
  if (n >= set.count) return set;
  return { images: set.images.subarray(0, n * PIXELS), labels: set.labels.subarray(0, n), count: n };
}

/** The images at the given indices, in that order. */
export function pick(set: DigitSet, indices: ArrayLike<number>): DigitSet {
  const count = indices.length;
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const src = indices[i]!;
    images.set(set.images.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
    labels[i] = set.labels[src]!;
  }
  return { images, labels, count };
}
