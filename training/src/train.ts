// The training loop: a DigitSet or a weighted SampleMix, seeded, augmented, Adam with a cosine
// learning-rate decay; non-digits are trained as the head's eleventh class ("not a digit"); optional per-epoch
// validation keeps the best epoch; optional per-epoch checkpoints let a run resume and end bit-identical
// to an uninterrupted one.
import * as tf from "@tensorflow/tfjs";
import { affineInto, DEFAULT_AFFINE } from "./augment.js";
import { checkCheckpointKey, checkCheckpointSetup, hasCheckpoint, readCheckpoint, writeCheckpoint, type CheckpointOptions, type CheckpointState, type StoredArray } from "./checkpoint.js";
import { PIXELS, type DigitSet } from "./data/dataset.js";
import type { SampleMix } from "./data/mix.js";
import { NOT_A_DIGIT } from "./data/strokes.js";
import { createTinyVgg, HEAD_UNITS, NUM_CLASSES, servedLogits } from "./model.js";
import { MNIST_NORMALIZATION, normalizeInto, type Normalization } from "./normalization.js";
import { ScheduledAdam, type AdamState } from "./scheduled-adam.js";
import { createRandom, permutation, type Random } from "./util/random.js";

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
  /** after each epoch's checkpoint (when checkpointing) was written */
  onEpochEnd?(stats: EpochStats): void;
}

/**
 * An epoch's validation score: the mean digit accuracy of the validation sets. The share of non-digits
 * answered null is a floor, not a term of the mean: once it is met, a few more of the few hundred
 * non-digits must not outweigh digits, and an epoch below it ranks under every epoch that meets it.
 */
export function validationScore(digitAccuracy: readonly number[], nonDigitNull: number | null, minNonDigitNull: number): number {
  if (digitAccuracy.length === 0) throw new Error("validationScore: no digit validation set");
  const mean = digitAccuracy.reduce((a, b) => a + b, 0) / digitAccuracy.length;
  return nonDigitNull !== null && nonDigitNull < minNonDigitNull ? mean - 1 : mean;
}

/** Scores a model after each epoch (higher is better); the best epoch's weights are kept. */
export interface Validation {
  evaluate(model: tf.LayersModel): { score: number; detail: Record<string, number> };
}

export interface TrainOptions {
  /** samples per epoch when training on a mix (default 60000) */
  epochSize?: number;
  validation?: Validation;
  /** write a checkpoint after every epoch into checkpoint.dir; resume from it when checkpoint.resume */
  checkpoint?: CheckpointOptions;
}

export interface TrainResult {
  model: tf.Sequential;
  /** the epoch whose weights the model holds (the best by validation, else the last) */
  bestEpoch: number;
  /** every epoch's stats, those of a resumed run's earlier sessions included */
  epochs: EpochStats[];
  /** seconds of training, summed over the sessions of a resumed run */
  durationS: number;
  /** training images per second over the whole run */
  imagesPerSecond: number;
  parameters: number;
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

/** Mean cross-entropy of logits [n,k] against target distributions [n,k]. */
export function softCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

/** Target rows over the head's units: one-hot, the digit's unit or, for NOT_A_DIGIT, the last one. */
export function targetsInto(targets: Float32Array, labels: ArrayLike<number>, n: number): void {
  targets.fill(0, 0, n * HEAD_UNITS);
  for (let i = 0; i < n; i++) {
    const label = labels[i]!;
    if (!(Number.isInteger(label) && label >= 0 && label <= NOT_A_DIGIT)) throw new Error(`bad training label ${label}`);
    targets[i * HEAD_UNITS + label] = 1;
  }
}

function isMix(data: DigitSet | SampleMix): data is SampleMix {
  return "next" in data;
}

/** The best epoch so far by validation, with a copy of its weights. */
interface Best {
  epoch: number;
  score: number;
  weights: tf.Tensor[];
}

/** What a checkpoint saves and restores besides the bookkeeping. */
interface Trainer {
  model: tf.Sequential;
  optimizer: ScheduledAdam;
  random: Random;
  mix: SampleMix | null;
}

const floats = (shape: number[], data: Float32Array): StoredArray => ({ dtype: "float32", shape, data });

async function save(dir: string, at: Omit<CheckpointState, "random" | "mix" | "adamIterations" | "best">, t: Trainer, best: Best | null): Promise<void> {
  const arrays = new Map<string, StoredArray>();
  const tensorsData = async (prefix: string, tensors: tf.Tensor[]): Promise<void> => {
    for (const [i, w] of tensors.entries()) arrays.set(`${prefix}/${i}`, floats(w.shape, (await w.data()) as Float32Array));
  };
  await tensorsData("model", t.model.getWeights());
  const adam = await t.optimizer.saveState();
  adam.moments.forEach((m, i) => arrays.set(`adam/${i}`, floats(m.shape, m.data)));
  arrays.set("adam/beta1", floats([], adam.accBeta1));
  arrays.set("adam/beta2", floats([], adam.accBeta2));
  if (best !== null) await tensorsData("best", best.weights);
  const mix = t.mix?.saveState() ?? null;
  mix?.orders.forEach((o, i) => arrays.set(`mix/${i}`, { dtype: "uint32", shape: [o.length], data: o }));
  const state: CheckpointState = {
    ...at,
    random: t.random.state(),
    mix: mix === null ? null : { random: mix.random, cursors: mix.cursors },
    adamIterations: adam.iterations,
    best: best === null ? null : { epoch: best.epoch, score: best.score },
  };
  await writeCheckpoint(dir, state, arrays);
}

/** Restores model, optimizer, random and mix from the checkpoint; returns the bookkeeping to continue with. */
async function resume(checkpoint: CheckpointOptions, setup: Record<string, unknown>, t: Trainer): Promise<CheckpointState & { best: Best | null; priorSeconds: number }> {
  const { dir } = checkpoint;
  const { state, arrays } = await readCheckpoint(dir);
  checkCheckpointKey(dir, state.key, checkpoint.key);
  checkCheckpointSetup(dir, state.setup, setup);
  const problems: string[] = [];
  const take = (name: string, shape: number[]): Float32Array => {
    const a = arrays.get(name);
    if (a === undefined || a.dtype !== "float32") problems.push(`no float32 array ${name}`);
    else if (a.shape.join(",") !== shape.join(",")) problems.push(`${name} has shape [${a.shape.join(",")}], expected [${shape.join(",")}]`);
    else return a.data;
    return new Float32Array(shape.reduce((x, y) => x * y, 1));
  };
  const shapes = t.model.getWeights().map((w) => w.shape);
  const weights = shapes.map((shape, i) => take(`model/${i}`, shape));
  const bestWeights = state.best === null ? null : shapes.map((shape, i) => take(`best/${i}`, shape));
  const momentCount = [...arrays.keys()].filter((k) => /^adam\/\d+$/.test(k)).length;
  if (momentCount !== 2 * t.model.trainableWeights.length) problems.push(`${momentCount} Adam moments for ${t.model.trainableWeights.length} trainable weights`);
  const moments = Array.from({ length: momentCount }, (_, i) => {
    const a = arrays.get(`adam/${i}`);
    return { shape: a?.shape ?? [], data: take(`adam/${i}`, a?.shape ?? []) };
  });
  const adam: AdamState = { iterations: state.adamIterations, accBeta1: take("adam/beta1", []), accBeta2: take("adam/beta2", []), moments };
  const orders: Uint32Array[] = [];
  if ((state.mix === null) !== (t.mix === null)) problems.push(`the checkpoint is of a ${state.mix === null ? "data set" : "mix"}`);
  else if (state.mix !== null) {
    for (let i = 0; i < state.mix.cursors.length; i++) {
      const a = arrays.get(`mix/${i}`);
      if (a?.dtype === "uint32") orders.push(a.data);
      else problems.push(`no uint32 array mix/${i}`);
    }
  }
  if (problems.length > 0) throw new Error(`the checkpoint in ${dir} does not fit this model: ${problems.join("; ")}`);
  if (state.mix !== null) t.mix!.restoreState({ random: state.mix.random, orders, cursors: state.mix.cursors });
  t.random.restore(state.random);
  const restored = weights.map((w, i) => tf.tensor(w, shapes[i]));
  t.model.setWeights(restored);
  tf.dispose(restored);
  await t.optimizer.restoreState(adam);
  const best = state.best === null ? null : { ...state.best, weights: bestWeights!.map((w, i) => tf.tensor(w, shapes[i])) };
  return { ...state, best, priorSeconds: state.trainedSeconds };
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
  const targets = new Float32Array(batchSize * HEAD_UNITS);
  const scale = config.normalization.pixelScale / config.normalization.std;
  const shift = config.normalization.mean / config.normalization.std;
  let history: EpochStats[] = [];
  let step = 0;
  let best: Best | null = null;
  let firstEpoch = 1;
  let priorSeconds = 0;
  const checkpoint = options.checkpoint;
  const setup: Record<string, unknown> = {
    ...config,
    epochSize,
    data: mix !== null ? mix.parts.map((p) => ({ source: p.source.name, size: p.source.size, weight: p.weight })) : { images: set!.count },
    validation: options.validation !== undefined,
    backend: tf.getBackend(),
  };
  if (checkpoint?.resume === true) {
    const resumed = await resume(checkpoint, setup, { model, optimizer, random, mix }).catch((err: unknown) => {
      optimizer.dispose();
      model.dispose();
      throw err;
    });
    ({ history, step, best, priorSeconds } = resumed);
    firstEpoch = resumed.epoch + 1;
  } else if (checkpoint !== undefined && (await hasCheckpoint(checkpoint.dir))) {
    throw new Error(`${checkpoint.dir} already holds a checkpoint: resume from it, or delete it to start over`);
  }
  const started = performance.now();

  for (let epoch = firstEpoch; epoch <= config.epochs; epoch++) {
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
      const ts = tf.tensor2d(targets.subarray(0, n * HEAD_UNITS), [n, HEAD_UNITS]);
      let hits: tf.Tensor | undefined;
      const loss = optimizer.minimize(() => {
        const head = model.apply(xs, { training: true }) as tf.Tensor2D;
        // hits: the top digit (units 0..9) is the label; non-digit labels (10) never equal it, so hits count digits only
        hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(tf.slice(head, [0, 0], [-1, NUM_CLASSES]), 1), ys), "int32")));
        return softCrossEntropy(head, ts);
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
    if (checkpoint !== undefined) {
      const trainedSeconds = priorSeconds + (performance.now() - started) / 1000;
      await save(checkpoint.dir, { key: checkpoint.key, setup, epoch, epochs: config.epochs, step, history, trainedSeconds }, { model, optimizer, random, mix }, best);
    }
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
  const durationS = priorSeconds + (performance.now() - started) / 1000;
  const parameters = model.countParams();
  return { model, bestEpoch, epochs: history, durationS, imagesPerSecond: (epochSize * config.epochs) / durationS, parameters };
}

/** The served logits [count,10] (see servedLogits) for the first count images of the set, in batches. */
export function tfjsLogits(model: tf.LayersModel, set: DigitSet, count: number, normalization: Normalization, batchSize = 500): Float32Array {
  const out = new Float32Array(count * 10);
  const pixels = new Float32Array(batchSize * PIXELS);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    normalizeInto(pixels, set.images, start, n, normalization);
    const logits = tf.tidy(() => servedLogits(model.predict(tf.tensor4d(pixels.subarray(0, n * PIXELS), [n, 28, 28, 1])) as tf.Tensor2D).dataSync());
    out.set(logits, start * 10);
  }
  return out;
}
