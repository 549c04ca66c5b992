// `npm run package`: fp32 model package in, deployable (int8 when it keeps its accuracy) validated package out, with its report.
import path from "node:path";
import { ValidationError } from "@digit-kiosk/runtime/model/validate";
import { finalizePackage } from "../quantize/finalize.js";
import { DEFAULT_PERCENTILE } from "../quantize/quantize.js";
import { commandLine, floatFlag, intFlag, oneOf, parseFlags, runCli, UsageError } from "./args.js";

const METHODS = ["auto", "minmax", "percentile"] as const;

const HELP = `Usage: npm run package -- --model FP32_DIR --out DIR [options]

Quantizes an fp32 model package to int8 (ONNX QDQ: per-channel symmetric int8 weights, activations
calibrated on training images), measures fp32 and int8 on the MNIST test set, and writes a package whose
model.onnx is the int8 model when it loses at most 0.1 point of accuracy (else the fp32 model), with
model-fp32.onnx beside it, golden digits (golden.json) and a manifest holding the metrics of both.
The package is validated first (manifest, sha256, onnxruntime, golden digits, accuracy, latency) and is
not written if it fails. Then the report is written (index.html, opens offline).

Options:
  --model DIR            the fp32 package (model.onnx + manifest.json), e.g. training/out/<version> (required)
  --out DIR              where to write the package; an existing package there is replaced (required)
  --report-dir DIR       where to write the report (default training/reports/<version>)
  --calibration N        images to calibrate activations on (default 2000, at least 1000 advised): half MNIST
                         training images, half pendigits drawings of the training writers, rendered as served
  --method M             auto (default: try both, keep the one more accurate on a held-out selection set),
                         minmax, or percentile
  --percentile P         the percentile method's clipping point (default ${DEFAULT_PERCENTILE})
  --keep-fp32 NODES      comma-separated Conv/Gemm node names to leave in fp32 (default none), e.g. conv1_1:
                         the first conv has one input channel, where int8 kernels gain nothing
  --max-digit-null X     refit "not sure" on the int8 model letting at most this share of each validation
                         set's digits be null (default: the value the training run used)
  --min-accuracy X       refuse the package below this MNIST test accuracy, 0..1 (default 0.99)
  --max-drop X           deploy int8 only if it loses at most X accuracy, 0..1 (default 0.001)
  --latency-budget MS    refuse the package if its median single-sample latency exceeds MS (default 20)
  --latency-runs N       timed single-sample runs per model for the report (default 1000)
  --augmentation-png F   a PNG of augmented training samples for the report (default: drawn here)
  --mnist-dir DIR        folder with the MNIST IDX files (default ../shared/data/mnist)
  --seed N               seed of the calibration sample (default 1)
  --help                 this text`;

function fraction(value: string | undefined, name: string, fallback: number): number {
  const v = floatFlag(value, name, fallback);
  if (v > 1) throw new UsageError(`--${name} must be a fraction in (0, 1], got "${value}"`);
  return v;
}

async function main(): Promise<void> {
  const values = parseFlags(
    {
      model: { type: "string" },
      out: { type: "string" },
      "report-dir": { type: "string" },
      calibration: { type: "string" },
      method: { type: "string" },
      percentile: { type: "string" },
      "keep-fp32": { type: "string" },
      "max-digit-null": { type: "string" },
      "min-accuracy": { type: "string" },
      "max-drop": { type: "string" },
      "latency-budget": { type: "string" },
      "latency-runs": { type: "string" },
      "augmentation-png": { type: "string" },
      "mnist-dir": { type: "string" },
      seed: { type: "string" },
    },
    HELP,
  );
  if (values === null) return;
  if (values.model === undefined) throw new UsageError("--model FP32_DIR is required");
  if (values.out === undefined) throw new UsageError("--out DIR is required");
  const percentile = floatFlag(values.percentile, "percentile", DEFAULT_PERCENTILE);
  if (percentile <= 50 || percentile > 100) throw new UsageError(`--percentile must be in (50, 100], got "${values.percentile}"`);
  try {
    const result = await finalizePackage(path.resolve(values.model), path.resolve(values.out), {
      calibrationCount: intFlag(values.calibration, "calibration", 2000, 10),
      method: oneOf(values.method, "method", METHODS) ?? "auto",
      percentile,
      keepFp32: (values["keep-fp32"] ?? "").split(",").map((n) => n.trim()).filter((n) => n !== ""),
      ...(values["max-digit-null"] === undefined ? {} : { maxDigitNull: fraction(values["max-digit-null"], "max-digit-null", 0) }),
      minAccuracy: fraction(values["min-accuracy"], "min-accuracy", 0.99),
      maxAccuracyDrop: values["max-drop"] === undefined ? 0.001 : fraction(values["max-drop"], "max-drop", 0.001),
      latencyBudgetMs: floatFlag(values["latency-budget"], "latency-budget", 20),
      latencyRuns: intFlag(values["latency-runs"], "latency-runs", 1000),
      ...(values["report-dir"] === undefined ? {} : { reportDir: path.resolve(values["report-dir"]) }),
      ...(values["mnist-dir"] === undefined ? {} : { mnistDir: path.resolve(values["mnist-dir"]) }),
      ...(values["augmentation-png"] === undefined ? {} : { augmentation: { pngPath: path.resolve(values["augmentation-png"]) } }),
      seed: intFlag(values.seed, "seed", 1, 0),
      command: commandLine("package", "training/src/cli/package.ts"),
    });
    const us = (v: number): string => `${(v * 1000).toFixed(1)} µs`;
    process.stdout.write(
      [
        `${result.manifest.name} ${result.manifest.version}: deployed ${result.deployed} -> ${result.outDir}`,
        `  fp32: ${(100 * result.fp32.accuracy).toFixed(2)} % MNIST test, ${result.fp32.sizeBytes} bytes, median ${us(result.fp32.latency.medianMs)}, p99 ${us(result.fp32.latency.p99Ms)}`,
        `  int8: ${(100 * result.int8.accuracy).toFixed(2)} % MNIST test, ${result.int8.sizeBytes} bytes, median ${us(result.int8.latency.medianMs)}, p99 ${us(result.int8.latency.p99Ms)} (${result.int8.method})`,
        `  validation: passed (${result.validation.golden?.passed ?? 0}/${result.validation.golden?.total ?? 0} golden digits)`,
        `  report: ${result.reportFile}`,
        "",
      ].join("\n"),
    );
  } catch (err) {
    if (err instanceof ValidationError) {
      process.stderr.write(`error: the package fails validation and was not written:\n${err.report.problems.map((p) => `  - ${p}`).join("\n")}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

runCli(main);
