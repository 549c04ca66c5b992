// Named data sets for the CLIs: training sources (for --data) and held-out evaluation/validation sets (for --set / --val).
import type { AffineRange } from "../augment.js";
import { DEFAULT_AFFINE } from "../augment.js";
import { generateNonDigit } from "../non-digits/generate.js";
import { loadNonDigits } from "../non-digits/store.js";
import { TRAIN_TEMPLATES } from "../non-digits/templates.js";
import { DEFAULT_STROKE_AUGMENT } from "../stroke-augment.js";
import { createRandom, permutation } from "../util/random.js";
import { pick, takeFirst, type DigitSet } from "./dataset.js";
import { loadDigitFolder } from "./folder.js";
import { drawingSource, generatedSource, imageSource, type SampleSource } from "./mix.js";
import { loadEmbeddedMnist } from "./mnist-embedded.js";
import { defaultMnistDir, loadMnistIdx } from "./mnist-idx.js";
import { defaultNotMnistPath, loadNotMnist } from "./not-mnist.js";
import { defaultPendigitsPath, loadPendigits } from "./pendigits.js";
import { pendigitsSplit, renderDrawings, type Drawing } from "./strokes.js";

export const TRAIN_SOURCES = ["mnist", "embedded", "not-mnist", "pendigits", "non-digits"] as const;
export type TrainSourceName = (typeof TRAIN_SOURCES)[number] | `folder:${string}`;

export const EVAL_SETS = ["mnist-test", "mnist-val", "embedded-test", "not-mnist-test", "pendigits-val", "non-digits"] as const;
export type EvalSetName = (typeof EVAL_SETS)[number] | `folder:${string}`;

/** The last MNIST training images, held out when --val names mnist-val (a calibration set for MNIST-style digits). */
export const MNIST_VAL_COUNT = 5000;

/** A seed, different from the stored test set's, for the generated non-digit validation set. */
const NON_DIGITS_VAL_SEED = 777_001;
export const NON_DIGITS_VAL_COUNT = 600;

export interface DataPaths {
  mnistDir: string;
  notMnist: string;
  pendigits: string;
}

export function defaultPaths(): DataPaths {
  return { mnistDir: defaultMnistDir(), notMnist: defaultNotMnistPath(), pendigits: defaultPendigitsPath() };
}

export function isTrainSource(name: string): name is TrainSourceName {
  return (TRAIN_SOURCES as readonly string[]).includes(name) || (name.startsWith("folder:") && name.length > 7);
}

export function isEvalSet(name: string): name is EvalSetName {
  return (EVAL_SETS as readonly string[]).includes(name) || (name.startsWith("folder:") && name.length > 7);
}

/** A held-out set: digits as 28x28 images, and when it is stroke data the drawings too (to send to the API). */
export interface EvalData {
  name: EvalSetName;
  /** the digits, prepared exactly as the runtime prepares them */
  digits: DigitSet | null;
  /** stroke drawings of the set (digits or non-digits), when it has them */
  drawings: Drawing[] | null;
}

const mnistTrain = async (paths: DataPaths, holdOutVal: boolean): Promise<DigitSet> => {
  const train = await loadMnistIdx("train", paths.mnistDir);
  return holdOutVal ? takeFirst(train, train.count - MNIST_VAL_COUNT) : train;
};

/** Loads one held-out set by name. */
export async function loadEvalSet(name: EvalSetName, paths: DataPaths = defaultPaths()): Promise<EvalData> {
  if (name.startsWith("folder:")) return { name, digits: await loadDigitFolder(name.slice(7)), drawings: null };
  switch (name as (typeof EVAL_SETS)[number]) {
    case "mnist-test":
      return { name, digits: await loadMnistIdx("test", paths.mnistDir), drawings: null };
    case "mnist-val": {
      const train = await loadMnistIdx("train", paths.mnistDir);
      const first = train.count - MNIST_VAL_COUNT;
      return { name, digits: pick(train, Array.from({ length: MNIST_VAL_COUNT }, (_, i) => first + i)), drawings: null };
    }
    case "embedded-test":
      return { name, digits: loadEmbeddedMnist("test"), drawings: null };
    case "not-mnist-test":
      return { name, digits: await loadNotMnist("test", paths.notMnist), drawings: null };
    case "pendigits-val": {
      const drawings = pendigitsSplit(await loadPendigits(paths.pendigits), "val");
      return { name, digits: renderDrawings(drawings, "pendigits-val"), drawings };
    }
    case "non-digits":
      return { name, digits: null, drawings: await loadNonDigits() };
  }
}

/** Generated non-digits for validation (threshold choice): training templates, pendigits validation writers for pairs. */
export async function nonDigitValidation(paths: DataPaths = defaultPaths()): Promise<Drawing[]> {
  const digits = pendigitsSplit(await loadPendigits(paths.pendigits), "val");
  const random = createRandom(NON_DIGITS_VAL_SEED);
  return Array.from({ length: NON_DIGITS_VAL_COUNT }, () => generateNonDigit(random, { digits, templates: TRAIN_TEMPLATES, kindWeights: NON_DIGIT_TRAIN_KIND_WEIGHTS }));
}

/** How often each kind of non-digit is generated for training (relative). */
export const NON_DIGIT_TRAIN_KIND_WEIGHTS = { symbol: 3, pair: 2.5, scribble: 1.5, hatch: 0.5, spiral: 0.5, tiny: 1, dots: 0.6 } as const;

export interface SourceOptions {
  paths: DataPaths;
  /** hold the last MNIST_VAL_COUNT MNIST training images out (when mnist-val validates) */
  holdOutMnistVal: boolean;
  affine?: AffineRange;
  /** use only the first `limit` samples of each source (quick runs); in a seeded random order */
  limit?: number;
  seed: number;
}

function limitSet(set: DigitSet, limit: number | undefined, seed: number): DigitSet {
  if (limit === undefined || limit >= set.count) return set;
  return pick(set, permutation(set.count, createRandom(seed)).subarray(0, limit));
}

/** One training source by name. */
export async function loadTrainSource(name: TrainSourceName, options: SourceOptions): Promise<SampleSource> {
  const affine = options.affine ?? DEFAULT_AFFINE;
  const { paths, limit, seed } = options;
  if (name.startsWith("folder:")) return imageSource(name, limitSet(await loadDigitFolder(name.slice(7)), limit, seed), affine);
  switch (name as (typeof TRAIN_SOURCES)[number]) {
    case "mnist":
      return imageSource(name, limitSet(await mnistTrain(paths, options.holdOutMnistVal), limit, seed), affine);
    case "embedded":
      return imageSource(name, limitSet(loadEmbeddedMnist("train"), limit, seed), affine);
    case "not-mnist":
      return imageSource(name, limitSet(await loadNotMnist("train", paths.notMnist), limit, seed), affine);
    case "pendigits": {
      let drawings = pendigitsSplit(await loadPendigits(paths.pendigits), "train");
      if (limit !== undefined && limit < drawings.length) {
        const order = permutation(drawings.length, createRandom(seed));
        drawings = Array.from(order.subarray(0, limit), (i) => drawings[i]!);
      }
      return drawingSource(name, drawings, DEFAULT_STROKE_AUGMENT);
    }
    case "non-digits": {
      // pairs from training writers only; letters from the training templates only; letters and
      // pairs (the hard cases: parts of them look like digits) are drawn more often
      const digits = pendigitsSplit(await loadPendigits(paths.pendigits), "train");
      const kindWeights = NON_DIGIT_TRAIN_KIND_WEIGHTS;
      return generatedSource(name, 10000, (random) => generateNonDigit(random, { digits, templates: TRAIN_TEMPLATES, kindWeights }));
    }
  }
}
