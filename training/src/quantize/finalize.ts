// The end of the pipeline: fp32 package in, deployable package out. Quantizes to int8 QDQ (calibration
// method chosen by measurement), keeps int8 only if it loses <= 0.1 point on MNIST test, ships golden digits,
// runs the runtime's validator as a gate on a staging folder, swaps it into place and writes the report.
import { readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { MANIFEST_FILE, MODEL_FILE, validateManifest, type Manifest } from "@digit-kiosk/runtime/contracts/manifest";
import { encodeGolden, GOLDEN_FILE } from "@digit-kiosk/runtime/model/golden";
import { DEVICE_SESSION_OPTIONS, measureLatency, timingInput, type LatencyStats } from "@digit-kiosk/runtime/model/latency";
import { validatePackage, ValidationError, type ValidationReport } from "@digit-kiosk/runtime/model/validate";
import { calibrateOnnx, type CalibrationReport } from "../calibration.js";
import { PIXELS, type DigitSet } from "../data/dataset.js";
import { REPO_ROOT } from "../data/mnist-idx.js";
import { defaultPaths, MNIST_VAL_COUNT, nonDigitValidation } from "../data/sets.js";
import { renderDrawingSet } from "../eval/offline.js";
import type { OnnxRunOptions } from "../evaluate.js";
import { readPackage } from "@digit-kiosk/runtime/model/package";
import { sha256Hex } from "../package.js";
import { imageAugmentationGrid, augmentationFromInput, type AugmentationInput } from "../report/augmentation.js";
import { readHistory } from "../report/history.js";
import { writeReport, type MethodRow, type ModelFacts, type ReportData } from "../report/report.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import type { CalibrationMethod } from "./calibrate.js";
import { concatSets, lastOf, loadPackagerData, sample, SELECTION_MNIST_COUNT, type PackagerData } from "./data.js";
import { selectGolden } from "./golden-select.js";
import { checkReplaceable, makeStagingDir, swapIntoPlace } from "./install.js";
import { optimizedGraph } from "./optimized.js";
import { calibrate, CALIBRATION_METHODS, DEFAULT_PERCENTILE, quantizeWith, rankCandidates, type Candidate } from "./quantize.js";
import { scoreModel, type ModelScore } from "./score.js";

export const FP32_FILE = "model-fp32.onnx";

export interface FinalizeOptions {
  /** calibration images drawn from MNIST training images when calibrationSet is not given (default 2000) */
  calibrationCount?: number;
  /** images from the training run's own data to calibrate on (normalized like the model's input) */
  calibrationSet?: DigitSet;
  calibrationSource?: string;
  method?: CalibrationMethod | "auto";
  percentile?: number;
  /** names of Conv/Gemm nodes to leave in fp32 (default none: every Conv and Gemm is int8) */
  keepFp32?: string[];
  /** "not sure" refit: this share of each validation set's digits may be null (default: what training used) */
  maxDigitNull?: number;
  /** the gate: minimum accuracy on MNIST test (default 0.99) */
  minAccuracy?: number;
  /** int8 is deployed when it loses at most this much accuracy (default 0.001 = 0.1 point) */
  maxAccuracyDrop?: number;
  /** the gate: median single-sample latency, ms (default 20) */
  latencyBudgetMs?: number;
  /** timed single-sample runs per model for the report (default 1000) */
  latencyRuns?: number;
  /** default training/reports/<version> */
  reportDir?: string;
  mnistDir?: string;
  pendigitsFile?: string;
  augmentation?: AugmentationInput;
  seed?: number;
  /** the command line, for the report */
  command?: string;
  log?: (line: string) => void;
}

export interface FinalizeResult {
  outDir: string;
  reportFile: string;
  manifest: Manifest;
  deployed: "int8" | "fp32";
  validation: ValidationReport;
  fp32: { accuracy: number; sizeBytes: number; latency: LatencyStats };
  int8: { accuracy: number; sizeBytes: number; latency: LatencyStats; method: CalibrationMethod };
}

/** The fp32 model and manifest of a package: model.onnx, or model-fp32.onnx of an already quantized package. */
export async function readFp32(dir: string): Promise<{ manifest: Manifest; model: Uint8Array }> {
  const { manifest, model } = await readPackage(dir);
  if (manifest.quantization === "none") return { manifest, model };
  const fp32 = new Uint8Array(await readFile(path.join(dir, FP32_FILE)));
  const expected = (manifest.metrics.fp32 as { sha256?: unknown } | undefined)?.sha256;
  if (typeof expected !== "string" || sha256Hex(fp32) !== expected) throw new Error(`${FP32_FILE} in ${dir} does not match metrics.fp32.sha256 of its manifest`);
  return { manifest, model: fp32 };
}

async function latencies(models: { name: string; bytes: Uint8Array }[], inputName: string, runs: number): Promise<Record<string, LatencyStats>> {
  const sessions = await Promise.all(models.map((m) => ort.InferenceSession.create(m.bytes, DEVICE_SESSION_OPTIONS)));
  try {
    return await measureLatency(models.map((m, i) => ({ name: m.name, session: sessions[i]!, feeds: timingInput(inputName) })), runs, Math.min(200, runs));
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
}

/**
 * The images to calibrate on: the training run's own when it passes them; else a seeded sample of MNIST
 * training images (not the selection ones) plus, when present, as many rendered pendigits drawings of the
 * training writers, so that activation ranges cover the stroke renderings the kiosk serves.
 */
function calibrationData(data: PackagerData, options: FinalizeOptions): { set: DigitSet; source: string } {
  if (options.calibrationSet !== undefined) return { set: options.calibrationSet, source: options.calibrationSource ?? "images from the training run" };
  const count = options.calibrationCount ?? 2000;
  const seed = options.seed ?? 1;
  const mnistCount = data.pendigitsTrain === null ? count : count - Math.floor(count / 2);
  const mnist = sample(data.train, mnistCount, seed, data.train.count - SELECTION_MNIST_COUNT);
  if (data.pendigitsTrain === null) return { set: mnist, source: data.trainName };
  const pen = sample(data.pendigitsTrain, count - mnistCount, seed + 1);
  return { set: concatSets(mnist, pen), source: `images: ${mnist.count.toLocaleString("en")} ${data.trainName} and ${pen.count.toLocaleString("en")} pendigits drawings of the training writers, rendered` };
}

/**
 * The "not sure" calibration fitted again on the int8 model's own logits, on the validation sets and with
 * the digit-null limit that training used (recorded in its manifest) unless `maxDigitNull` is given. Null
 * when training did not calibrate, or used a set this step cannot load (a folder).
 */
async function refitCalibration(
  model: Uint8Array,
  run: OnnxRunOptions,
  src: Manifest,
  data: PackagerData,
  pendigitsFile: string | undefined,
  maxDigitNull: number | undefined,
  log: (line: string) => void,
): Promise<CalibrationReport | null> {
  const training = src.training as { validationSets?: unknown; maxDigitNull?: unknown };
  const names = training.validationSets;
  if (src.calibration === undefined || !Array.isArray(names) || typeof training.maxDigitNull !== "number") return null;
  const sets: Array<{ name: string; set: DigitSet }> = [];
  for (const name of names as unknown[]) {
    if (name === "mnist-val") sets.push({ name, set: lastOf(data.train, MNIST_VAL_COUNT) });
    else if (name === "pendigits-val" && data.pendigits !== null) sets.push({ name, set: data.pendigits });
    else {
      log(`package: the calibration stays as trained (fp32): validation set ${String(name)} is not available to this step`);
      return null;
    }
  }
  const paths = { ...defaultPaths(), ...(pendigitsFile === undefined ? {} : { pendigits: pendigitsFile }) };
  return calibrateOnnx(model, run, sets, renderDrawingSet(await nonDigitValidation(paths)), maxDigitNull ?? training.maxDigitNull);
}

const accuracyOf = (s: ModelScore | null): number | null => (s === null ? null : s.accuracy);

export async function finalizePackage(fp32Dir: string, outDir: string, options: FinalizeOptions = {}): Promise<FinalizeResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const method = options.method ?? "auto";
  const percentile = options.percentile ?? DEFAULT_PERCENTILE;
  const maxDrop = options.maxAccuracyDrop ?? 0.001;
  const minAccuracy = options.minAccuracy ?? 0.99;
  const latencyRuns = options.latencyRuns ?? 1000;
  await checkReplaceable(outDir);

  const { manifest: src, model: fp32 } = await readFp32(fp32Dir);
  const run: OnnxRunOptions = { inputName: src.input.name, outputName: src.output.name, normalization: src.input };
  const data = await loadPackagerData(options.mnistDir, options.pendigitsFile);
  const { set: calibrationSet, source: calibrationSource } = calibrationData(data, options);
  const selection = data.pendigits === null ? lastOf(data.train, SELECTION_MNIST_COUNT) : concatSets(lastOf(data.train, SELECTION_MNIST_COUNT), data.pendigits);
  const selectionName = `the last ${SELECTION_MNIST_COUNT.toLocaleString("en")} MNIST training images${data.pendigits === null ? "" : ` plus the ${data.pendigits.count.toLocaleString("en")} pendigits validation drawings`}`;

  log(`package: calibrating on ${calibrationSet.count} ${calibrationSource}`);
  if (calibrationSet.count < 1000) log(`package: warning: ${calibrationSet.count} calibration images; at least 1000 are advised`);
  const keepFp32 = options.keepFp32 ?? [];
  const calibration = await calibrate(fp32, { set: calibrationSet, normalization: src.input, inputName: src.input.name }, keepFp32);
  const methods = method === "auto" ? CALIBRATION_METHODS : [method];
  const candidates: Candidate[] = methods.map((m) => quantizeWith(fp32, calibration, m, percentile));
  const ranked = await rankCandidates(fp32, candidates, selection, run);
  const chosen = candidates.find((c) => c.method === ranked[0]!.method)!;
  log(`package: calibration ${ranked.map((r) => `${r.method} ${r.correct}/${r.count}`).join(", ")} on the selection set: keeping ${chosen.method}`);

  const fp32Test = await scoreModel(fp32, data.test, run);
  const candidateTests = new Map<CalibrationMethod, ModelScore>();
  for (const c of candidates) candidateTests.set(c.method, await scoreModel(c.model, data.test, run));
  const int8Test = candidateTests.get(chosen.method)!;
  const fp32Pen = data.pendigits === null ? null : await scoreModel(fp32, data.pendigits, run);
  const int8Pen = data.pendigits === null ? null : await scoreModel(chosen.model, data.pendigits, run);
  const drop = (fp32Test.correct - int8Test.correct) / data.test.count;
  const deployed: "int8" | "fp32" = drop <= maxDrop + 1e-12 ? "int8" : "fp32";
  const pts = (v: number): string => `${(100 * v).toFixed(2)} %`;
  const decision =
    deployed === "int8"
      ? `int8 is deployed: it scores ${pts(int8Test.accuracy)} on ${data.testName} against ${pts(fp32Test.accuracy)} for fp32 (${drop > 0 ? `a loss of ${(100 * drop).toFixed(2)} point` : "no loss"}; the limit is ${(100 * maxDrop).toFixed(2)} point).`
      : `The package stays fp32: int8 scores ${pts(int8Test.accuracy)} on ${data.testName} against ${pts(fp32Test.accuracy)} for fp32, a loss of ${(100 * drop).toFixed(2)} point, more than the ${(100 * maxDrop).toFixed(2)} point allowed. The int8 model is not shipped.`;
  log(`package: ${decision}`);

  // The deployed model's own confidences set "not sure": int8 logits differ a little from fp32 ones.
  const refit = deployed === "int8" ? await refitCalibration(chosen.model, run, src, data, options.pendigitsFile, options.maxDigitNull, log) : null;
  if (options.maxDigitNull !== undefined && refit === null) log(`package: warning: --max-digit-null is unused: "not sure" is not refitted (${deployed} deployed, or no usable validation sets)`);
  if (refit !== null) {
    const c = refit.calibration;
    log(
      `package: "not sure" refitted on the int8 model: temperature ${src.calibration?.temperature} -> ${c.temperature}, threshold ${src.calibration?.threshold} -> ${c.threshold}; ` +
        `null shares ${Object.entries(refit.nullShare).map(([k, v]) => `${k} ${(100 * v).toFixed(2)}%`).join(", ")}`,
    );
  }

  const [fp32Ops, int8Ops] = [await optimizedGraph(fp32), await optimizedGraph(chosen.model)];
  log(`package: timing fp32 and int8, ${latencyRuns} single-sample runs each, one thread`);
  const lat = await latencies([{ name: "fp32", bytes: fp32 }, { name: "int8", bytes: chosen.model }], src.input.name, latencyRuns);

  // Golden digits: right and sure under both models, so they hold whichever is deployed.
  const golden = selectGolden([
    { name: "mnist-test", set: data.test, scores: [fp32Test, int8Test], perDigit: data.pendigits === null ? 5 : 3 },
    ...(data.pendigits === null || fp32Pen === null || int8Pen === null
      ? []
      : [{ name: "pendigits-val", set: data.pendigits, scores: [fp32Pen, int8Pen], perDigit: 2 }]),
  ]);
  const goldenText = encodeGolden(golden);

  const deployedModel = deployed === "int8" ? chosen.model : fp32;
  const modelFacts = (kind: "fp32" | "int8", bytes: Uint8Array, test: ModelScore, pen: ModelScore | null, file: string): ModelFacts => ({
    kind,
    file,
    sizeBytes: bytes.length,
    sha256: sha256Hex(bytes),
    mnistTest: { correct: test.correct, count: test.count, confusion: test.confusion },
    pendigits: pen === null ? null : { correct: pen.correct, count: pen.count },
    latency: lat[kind] ?? null,
    optimizedOps: kind === "fp32" ? fp32Ops.ops : int8Ops.ops,
  });
  const fp32Facts = modelFacts("fp32", fp32, fp32Test, fp32Pen, deployed === "fp32" ? MODEL_FILE : FP32_FILE);
  const int8Facts = modelFacts("int8", chosen.model, int8Test, int8Pen, deployed === "int8" ? MODEL_FILE : "(not shipped)");
  const metricsOf = (f: ModelFacts, pen: ModelScore | null): Record<string, unknown> => ({
    file: f.file,
    sha256: f.sha256,
    sizeBytes: f.sizeBytes,
    mnistTestAccuracy: f.mnistTest.correct / f.mnistTest.count,
    pendigitsValAccuracy: accuracyOf(pen),
    latencyMedianMs: f.latency?.medianMs ?? null,
    latencyP99Ms: f.latency?.p99Ms ?? null,
    latencyRuns: f.latency?.runs ?? 0,
  });
  const deployedTest = deployed === "int8" ? int8Test : fp32Test;
  const manifest = validateManifest(
    JSON.parse(
      JSON.stringify({
        ...src,
        ...(refit === null ? {} : { calibration: { ...refit.calibration, method: `${refit.calibration.method}; fitted on the int8 model's logits` } }),
        createdAt: new Date().toISOString(),
        sha256: sha256Hex(deployedModel),
        quantization: deployed === "int8" ? "int8-qdq" : "none",
        metrics: {
          ...src.metrics,
          mnistTestAccuracy: deployedTest.accuracy,
          mnistTestCount: deployedTest.count,
          pendigitsValAccuracy: accuracyOf(deployed === "int8" ? int8Pen : fp32Pen),
          ...(refit === null ? {} : { calibrationNullShare: refit.nullShare, fp32Calibration: src.calibration }),
          measuredWith: "onnxruntime-node",
          fp32: metricsOf(fp32Facts, fp32Pen),
          int8: { ...metricsOf(int8Facts, int8Pen), sizeRatio: chosen.model.length / fp32.length, onnxruntimeOps: int8Ops.ops },
          quantization: {
            command: options.command ?? null,
            deployed,
            decision,
            maxAccuracyDrop: maxDrop,
            format: "QDQ, opset 13",
            weights: "int8 symmetric per output channel (Conv axis 0, Gemm per output column)",
            activations: "int8 asymmetric per tensor",
            fp32Nodes: keepFp32,
            calibration: { method: chosen.method, percentile: chosen.method === "percentile" ? percentile : null, count: calibrationSet.count, source: calibrationSource },
            selection: { set: selectionName, scores: ranked },
          },
        },
        golden: { file: GOLDEN_FILE, sha256: sha256Hex(new TextEncoder().encode(goldenText)), count: golden.length },
      }),
    ) as unknown,
  );

  // Build the package in a staging folder, gate it with the runtime's validator, then swap it in.
  const staging = await makeStagingDir(outDir);
  try {
    await writeFileAtomic(path.join(staging, MODEL_FILE), deployedModel);
    if (deployed === "int8") await writeFileAtomic(path.join(staging, FP32_FILE), fp32);
    await writeFileAtomic(path.join(staging, GOLDEN_FILE), goldenText);
    await writeFileAtomic(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    log(`package: validating (manifest, sha256, onnxruntime, ${golden.length} golden digits, ${data.testName} >= ${pts(minAccuracy)}, latency <= ${options.latencyBudgetMs ?? 20} ms)`);
    const validation = await validatePackage(staging, {
      requireGolden: true,
      evalSet: { name: data.testName, ...data.test },
      minAccuracy,
      latencyBudgetMs: options.latencyBudgetMs ?? 20,
    });
    if (!validation.ok) throw new ValidationError({ ...validation, dir: outDir });

    let history: ReturnType<typeof readHistory> = null;
    try {
      history = readHistory(src.training, src.metrics);
    } catch (err) {
      log(`package: warning: ${(err as Error).message}; the report shows no training curves`);
    }
    const reportDir = path.resolve(options.reportDir ?? path.join(REPO_ROOT, "training", "reports", manifest.version));
    const relative = path.relative(path.resolve(outDir), reportDir);
    const reportInPackage = relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
    const report: ReportData = {
      manifest,
      deployed,
      decision,
      fp32: fp32Facts,
      int8: int8Facts,
      methods: ranked.map((r): MethodRow => {
        const t = candidateTests.get(r.method)!;
        return { method: r.method === "percentile" ? `percentile ${percentile}` : r.method, selection: r, test: { correct: t.correct, count: t.count }, chosen: r.method === chosen.method };
      }),
      calibration: { count: calibrationSet.count, source: calibrationSource, percentile, selectionSet: selectionName },
      fp32Nodes: keepFp32,
      pendigitsName: `pendigits-val (writers ${data.pendigitsWriters.join(", ")}, held out of training; strokes rendered as served)`,
      activations: calibration.plan.calibrated.map((t) => ({ tensor: t, min: chosen.ranges[t]![0], max: chosen.ranges[t]![1], ...chosen.activations[t]! })),
      history,
      mistakes: worstMistakes(data.test, deployedTest, 36),
      augmentation: options.augmentation !== undefined ? await augmentationFromInput(options.augmentation) : await imageAugmentationGrid(data.train),
      golden: { images: concatPixels(golden.map((g) => g.pixels)), labels: Uint8Array.from(golden, (g) => g.label), count: golden.length },
      validation: { ...validation, dir: outDir },
      command: options.command ?? "finalizePackage()",
      machine: `${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, ${process.arch}, onnxruntime-node ${ort.env.versions.common}`,
    };
    const reportFile = await writeReport(reportInPackage ? path.join(staging, relative) : reportDir, report);
    await swapIntoPlace(staging, outDir);
    const finalReport = reportInPackage ? path.join(path.resolve(outDir), relative, path.basename(reportFile)) : reportFile;
    log(`package: wrote ${outDir} (${deployed}), report ${finalReport}`);
    return {
      outDir,
      reportFile: finalReport,
      manifest,
      deployed,
      validation: { ...validation, dir: outDir },
      fp32: { accuracy: fp32Test.accuracy, sizeBytes: fp32.length, latency: lat.fp32! },
      int8: { accuracy: int8Test.accuracy, sizeBytes: chosen.model.length, latency: lat.int8!, method: chosen.method },
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function concatPixels(list: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(list.length * PIXELS);
  list.forEach((p, i) => out.set(p, i * PIXELS));
  return out;
}

/** The wrong answers given with the highest confidence. */
function worstMistakes(set: DigitSet, s: ModelScore, n: number): ReportData["mistakes"] {
  const wrong: number[] = [];
  for (let i = 0; i < set.count; i++) if (s.predictions[i] !== set.labels[i]) wrong.push(i);
  wrong.sort((a, b) => s.confidence[b]! - s.confidence[a]!);
  return wrong.slice(0, n).map((i) => ({
    pixels: set.images.slice(i * PIXELS, (i + 1) * PIXELS),
    label: set.labels[i]!,
    predicted: s.predictions[i]!,
    confidence: s.confidence[i]!,
    source: `mnist-test #${i}`,
  }));
}
