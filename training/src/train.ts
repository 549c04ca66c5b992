// The training loop: a DigitSet or a weighted SampleMix, seeded, augmented, Adam with a cosine
// learning-rate decay; non-digits are trained towards a uniform answer; optional per-epoch validation keeps the best epoch.
import * as tf from "@tensorflow/tfjs";
import { affineInto, DEFAULT_AFFINE } from "./augment.js";
import { PIXELS, type DigitSet } from "./data/dataset.js";
import type { SampleMix } from "./data/mix.js";
import { NOT_A_DIGIT } from "./data/strokes.js";
import { createTinyVgg, NUM_CLASSES } from "./model.js";
import { MNIST_NORMALIZATION, normalizeInto, type Normalization } from "./normalization.js";
import { createRandom, permutation } from "./util/random.js";

export interface TrainConfig {
  width: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  augment: boolean;
  /** the learning rate decays (cosine) from learningRate to learningRate * finalLrFactor */
  finalLrFactor: number;
  normalization: Normalization;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  width: 16,
  epochs: 12,
  batchSize: 128,
  learningRate: 0.002,
  seed: 1,
  augment: true,
  finalLrFactor: 0.01,
  normalization: MNIST_NORMALIZATION,
};

export interface EpochStats {
  epoch: number;
  /** the validation score of this epoch (higher is better), when validating */
  validation?: number;
  validationDetail?: Record<string, number>;
  loss: number;
  accuracy: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  learningRate: number;
}

export interface TrainHooks {
  onEpochStart?(epoch: number): void;
  /** after each batch: images done in this epoch, running mean loss and accuracy of the epoch */
  onBatch?(epoch: number, done: number, loss: number, accuracy: number): void;
  onEpochEnd?(stats: EpochStats): void;
}

/** Scores a model after each epoch (higher is better); the best epoch's weights are kept. */
export interface Validation {
  evaluate(model: tf.LayersModel): { score: number; detail: Record<string, number> };
}

export interface TrainOptions {
  /** samples per epoch when training on a mix (default 60000) */
  epochSize?: number;
  validation?: Validation;
}

export interface TrainResult {
  model: tf.Sequential;
  /** the epoch whose weights the model holds (the best by validation, else the last) */
  bestEpoch: number;
  epochs: EpochStats[];
  durationS: number;
  /** training images per second over the whole run */
  imagesPerSecond: number;
  parameters: number;
}

/** Adam whose learning rate can change between steps. */
class ScheduledAdam extends tf.AdamOptimizer {
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }
}

export function cosineLearningRate(config: Pick<TrainConfig, "learningRate" | "finalLrFactor">, progress: number): number {
  const min = config.learningRate * config.finalLrFactor;
  return min + 0.5 * (config.learningRate - min) * (1 + Math.cos(Math.PI * Math.min(1, Math.max(0, progress))));
}

export function checkTrainConfig(config: TrainConfig): void {
  const problems: string[] = [];
  const posInt = (key: "width" | "epochs" | "batchSize"): void => {
    if (!Number.isInteger(config[key]) || config[key] < 1) problems.push(`${key} must be a positive integer, got ${config[key]}`);
  };
  posInt("width");
  posInt("epochs");
  posInt("batchSize");
  if (!(config.learningRate > 0 && config.learningRate < 1)) problems.push(`learningRate must be in (0, 1), got ${config.learningRate}`);
  if (!(config.finalLrFactor > 0 && config.finalLrFactor <= 1)) problems.push(`finalLrFactor must be in (0, 1], got ${config.finalLrFactor}`);
  if (!Number.isInteger(config.seed)) problems.push(`seed must be an integer, got ${config.seed}`);
  if (problems.length > 0) throw new Error(`bad training config: ${problems.join("; ")}`);
}

/** Mean cross-entropy of logits [n,10] against target distributions [n,10]. */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

/** Target rows: one-hot for a digit, uniform for NOT_A_DIGIT (its loss is lowest when no digit stands out). */
export function targetsInto(targets: Float32Array, labels: ArrayLike<number>, n: number): void {
  targets.fill(0, 0, n * NUM_CLASSES);
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    if (label === NOT_A_DIGIT) targets.fill(1 / NUM_CLASSES, i * NUM_CLASSES, (i + 1) * NUM_CLASSES);
    else targets[i * NUM_CLASSES + label] = 1;
  }
}

function isMix(data: DigitSet | SampleMix): data is SampleMix {
  return "next" in data;
}

/** Trains a fresh TinyVGG on a DigitSet or a SampleMix. Deterministic for a given seed on a given backend. */
export async function trainTinyVgg(data: DigitSet | SampleMix, config: TrainConfig, hooks: TrainHooks = {}, options: TrainOptions = {}): Promise<TrainResult> {
  checkTrainConfig(config);
  const mix = isMix(data) ? data : null;
  const set = isMix(data) ? null : data;
  const epochSize = mix !== null ? (options.epochSize ?? 60000) : set!.count;
  if (epochSize === 0) throw new Error("no training images");
  const model = createTinyVgg({ width: config.width, seed: config.seed });
  const optimizer = new ScheduledAdam(config.learningRate, 0.9, 0.999, 1e-7);
  const random = createRandom(config.seed ^ 0x5eed);
  const { batchSize } = config;
  const stepsPerEpoch = Math.ceil(epochSize / batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;
  const pixels = new Float32Array(batchSize * PIXELS);
  const labels = new Int32Array(batchSize);
  const targets = new Float32Array(batchSize * NUM_CLASSES);
  const scale = config.normalization.pixelScale / config.normalization.std;
  const shift = config.normalization.mean / config.normalization.std;
  const history: EpochStats[] = [];
  const started = performance.now();
  let step = 0;
  let best: { epoch: number; score: number; weights: tf.Tensor[] } | null = null;

  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    hooks.onEpochStart?.(epoch);
    const epochStarted = performance.now();
    const order = set !== null ? permutation(set.count, random) : null;
    let lossSum = 0;
    let correct = 0;
    let digits = 0;
    let seen = 0;
    let lr = config.learningRate;
    for (let start = 0; start < epochSize; start += batchSize) {
      const n = Math.min(batchSize, epochSize - start);
      for (let i = 0; i < n; i++) {
        if (mix !== null) {
          labels[i] = mix.next(pixels, i * PIXELS, random, config.augment);
          continue;
        }
        const src = order![start + i]!;
        if (config.augment) affineInto(pixels, i * PIXELS, set!.images, src * PIXELS, DEFAULT_AFFINE, random);
        else for (let p = 0; p < PIXELS; p++) pixels[i * PIXELS + p] = set!.images[src * PIXELS + p]!;
        labels[i] = set!.labels[src]!;
      }
      for (let p = 0; p < n * PIXELS; p++) pixels[p] = pixels[p]! * scale - shift;
      targetsInto(targets, labels, n);
      let batchDigits = 0;
      for (let i = 0; i < n; i++) if (labels[i] !== NOT_A_DIGIT) batchDigits++;
      lr = cosineLearningRate(config, step / totalSteps);
      optimizer.setLearningRate(lr);
      const xs = tf.tensor4d(pixels.subarray(0, n * PIXELS), [n, 28, 28, 1]);
      const ys = tf.tensor1d(labels.subarray(0, n), "int32");
      const ts = tf.tensor2d(targets.subarray(0, n * NUM_CLASSES), [n, NUM_CLASSES]);
      let hits: tf.Tensor | undefined;
      const loss = optimizer.minimize(() => {
        const logits = model.apply(xs, { training: true }) as tf.Tensor2D;
        // non-digit labels (10) never equal an argmax (0..9), so hits count digits only
        hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), ys), "int32")));
        return softCrossEntropy(logits, ts);
      }, true);
      if (loss === null || hits === undefined) throw new Error("optimizer returned no loss");
      const lossValue = loss.dataSync()[0]!;
      const hitsValue = hits.dataSync()[0]!;
      tf.dispose([xs, ys, ts, loss, hits]);
      if (!Number.isFinite(lossValue)) throw new Error(`loss became ${lossValue} at epoch ${epoch}, step ${step}: lower --lr`);
      lossSum += lossValue * n;
      correct += hitsValue;
      digits += batchDigits;
      seen += n;
      step++;
      hooks.onBatch?.(epoch, seen, lossSum / seen, digits === 0 ? 0 : correct / digits);
    }
    const seconds = (performance.now() - epochStarted) / 1000;
    const stats: EpochStats = {
      epoch,
      loss: lossSum / seen,
      accuracy: digits === 0 ? 0 : correct / digits,
      images: seen,
      seconds,
      imagesPerSecond: seen / seconds,
      learningRate: lr,
    };
    if (options.validation !== undefined) {
      const { score, detail } = options.validation.evaluate(model);
      stats.validation = score;
      stats.validationDetail = detail;
      if (best === null || score >= best.score) {
        if (best !== null) tf.dispose(best.weights);
        best = { epoch, score, weights: model.getWeights().map((w) => w.clone()) };
      }
    }
    history.push(stats);
    hooks.onEpochEnd?.(stats);
    await new Promise((resolve) => setImmediate(resolve)); // let signals and I/O through between epochs
  }
  optimizer.dispose();
  let bestEpoch = config.epochs;
  if (best !== null) {
    model.setWeights(best.weights);
    tf.dispose(best.weights);
    bestEpoch = best.epoch;
  }
  const durationS = (performance.now() - started) / 1000;
  const parameters = model.countParams();
  return { model, bestEpoch, epochs: history, durationS, imagesPerSecond: (epochSize * config.epochs) / durationS, parameters };
}

/** TF.js logits [count,10] for the first count images of the set, in batches. */
export function tfjsLogits(model: tf.LayersModel, set: DigitSet, count: number, normalization: Normalization, batchSize = 500): Float32Array {
  const out = new Float32Array(count * 10);
  const pixels = new Float32Array(batchSize * PIXELS);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    normalizeInto(pixels, set.images, start, n, normalization);
    const logits = tf.tidy(() => (model.predict(tf.tensor4d(pixels.subarray(0, n * PIXELS), [n, 28, 28, 1])) as tf.Tensor).dataSync());
    out.set(logits, start * 10);
  }
  return out;
}
