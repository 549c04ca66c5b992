// The data the packager measures with: MNIST train (calibration, selection) and test (the gate), and the
// pendigits validation writers rendered through the runtime's preprocessing (the product's own domain).
import { existsSync } from "node:fs";
import { pick, PIXELS, type DigitSet } from "../data/dataset.js";
import { loadEmbeddedMnist } from "../data/mnist-embedded.js";
import { defaultMnistDir, hasMnist, loadMnistIdx } from "../data/mnist-idx.js";
import { defaultPendigitsPath, loadPendigits } from "../data/pendigits.js";
import { pendigitsSplit, renderDrawings } from "../data/strokes.js";
import { createRandom, shuffleInPlace } from "../util/random.js";

/** MNIST training images held out from calibration to choose the calibration method on (the last 5,000). */
export const SELECTION_MNIST_COUNT = 5000;

export interface PackagerData {
  train: DigitSet;
  trainName: string;
  test: DigitSet;
  testName: string;
  /** pendigits validation writers, rendered; null when the pendigits file is missing */
  pendigits: DigitSet | null;
  pendigitsWriters: number[];
  /** pendigits training writers, rendered (calibration material); null when the file is missing */
  pendigitsTrain: DigitSet | null;
}

export async function loadPackagerData(mnistDir = defaultMnistDir(), pendigitsFile = defaultPendigitsPath()): Promise<PackagerData> {
  const idx = hasMnist(mnistDir, "train") && hasMnist(mnistDir, "test");
  const train = idx ? await loadMnistIdx("train", mnistDir) : loadEmbeddedMnist("train");
  const test = idx ? await loadMnistIdx("test", mnistDir) : loadEmbeddedMnist("test");
  let pendigits: DigitSet | null = null;
  let pendigitsTrain: DigitSet | null = null;
  let writers: number[] = [];
  if (existsSync(pendigitsFile)) {
    const all = await loadPendigits(pendigitsFile);
    const drawings = pendigitsSplit(all, "val");
    pendigits = renderDrawings(drawings, "pendigits-val");
    pendigitsTrain = renderDrawings(pendigitsSplit(all, "train"), "pendigits-train");
    writers = [...new Set(drawings.map((d) => d.writer ?? -1))].sort((a, b) => a - b);
  }
  return {
    train,
    trainName: idx ? "MNIST training images" : "embedded MNIST training images",
    test,
    testName: idx ? "MNIST test" : "embedded MNIST test",
    pendigits,
    pendigitsWriters: writers,
    pendigitsTrain,
  };
}

/** count random images (seeded) from the first `limit` of a set. */
export function sample(set: DigitSet, count: number, seed: number, limit = set.count): DigitSet {
  const indices = Array.from({ length: Math.min(limit, set.count) }, (_, i) => i);
  shuffleInPlace(indices, createRandom(seed));
  return pick(set, indices.slice(0, Math.min(count, indices.length)));
}

/** The last n images of a set. */
export function lastOf(set: DigitSet, n: number): DigitSet {
  const first = Math.max(0, set.count - n);
  return pick(set, Array.from({ length: set.count - first }, (_, i) => first + i));
}

export function concatSets(...sets: DigitSet[]): DigitSet {
  const count = sets.reduce((a, s) => a + s.count, 0);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const s of sets) {
    images.set(s.images.subarray(0, s.count * PIXELS), at * PIXELS);
    labels.set(s.labels.subarray(0, s.count), at);
    at += s.count;
  }
  return { images, labels, count };
}
