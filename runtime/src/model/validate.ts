// THE model package validator, run by training before it writes a package and by the device before it
// activates one: manifest and sha256 consistent, onnxruntime loads it, its input/output match, the golden
// digits shipped inside it all pass, and optionally an accuracy threshold and a latency budget. Every
// problem found is reported, not just the first.
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { MANIFEST_FILE, MODEL_FILE, validateManifest, ManifestError, type Manifest } from "../contracts/manifest.js";
import { softmaxInPlace } from "../inference/engine.js";
import { PREPROCESSING_ID } from "../preprocess/index.js";
import { parseGolden } from "./golden.js";
import { DEVICE_SESSION_OPTIONS, measureLatency, timingInput, type LatencyStats } from "./latency.js";
import { checkSessionIo, sha256Hex } from "./package.js";

const PIXELS = 28 * 28;

/** Labelled 28x28 images (white ink on black) to measure accuracy on. */
export interface EvalSet {
  name: string;
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface ValidateOptions {
  /** refuse a package that ships no golden digits (default true) */
  requireGolden?: boolean;
  /** the preprocessing id the model must be trained for; default: this runtime's; null: any */
  preprocessing?: string | null;
  evalSet?: EvalSet;
  /** minimum accuracy (0..1) on evalSet */
  minAccuracy?: number;
  /** maximum median single-sample latency, ms, one thread */
  latencyBudgetMs?: number;
  /** timed runs for the latency check (default 200) */
  latencyRuns?: number;
}

export interface GoldenFailure {
  index: number;
  source: string;
  expected: number;
  got: number;
  confidence: number;
}

export interface ValidationReport {
  dir: string;
  ok: boolean;
  problems: string[];
  manifest: Manifest | null;
  golden: { total: number; passed: number; failures: GoldenFailure[] } | null;
  accuracy: { set: string; correct: number; count: number; accuracy: number; min: number | null } | null;
  latency: (LatencyStats & { budgetMs: number | null }) | null;
}

export class ValidationError extends Error {
  constructor(readonly report: ValidationReport) {
    super(`model package ${report.dir} is refused: ${report.problems.join("; ")}`);
    this.name = "ValidationError";
  }
}

async function readOrNull(file: string, problems: string[]): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (err) {
    problems.push(`cannot read ${path.basename(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return null;
  }
}

/** Predicted digit and its probability for each image, batched as far as the model allows. */
async function predict(session: ort.InferenceSession, manifest: Manifest, images: Uint8Array, count: number, maxBatch: number): Promise<{ digits: Uint8Array; confidence: Float32Array }> {
  const { input, output } = manifest;
  const scale = input.pixelScale / input.std;
  const shift = input.mean / input.std;
  const batch = Math.min(maxBatch, 256);
  const digits = new Uint8Array(count);
  const confidence = new Float32Array(count);
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const data = new Float32Array(n * PIXELS);
    for (let i = 0; i < n * PIXELS; i++) data[i] = images[start * PIXELS + i]! * scale - shift;
    const result = await session.run({ [input.name]: new ort.Tensor("float32", data, [n, 1, 28, 28]) }, [output.name]);
    const out = result[output.name];
    if (out === undefined || out.type !== "float32" || out.data.length !== n * 10) throw new Error(`output "${output.name}" is not ${n}x10 float32`);
    const values = Float32Array.from(out.data as Float32Array);
    for (let b = 0; b < n; b++) {
      if (output.kind === "logits") softmaxInPlace(values, b * 10, 10);
      let best = 0;
      for (let c = 1; c < 10; c++) if (values[b * 10 + c]! > values[b * 10 + best]!) best = c;
      digits[start + b] = best;
      confidence[start + b] = values[b * 10 + best]!;
    }
  }
  return { digits, confidence };
}

export async function validatePackage(dir: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  const report: ValidationReport = { dir, ok: false, problems: [], manifest: null, golden: null, accuracy: null, latency: null };
  const problems = report.problems;
  const finish = (): ValidationReport => ({ ...report, ok: problems.length === 0 });

  const manifestBytes = await readOrNull(path.join(dir, MANIFEST_FILE), problems);
  const modelBytes = await readOrNull(path.join(dir, MODEL_FILE), problems);
  if (manifestBytes !== null) {
    try {
      report.manifest = validateManifest(JSON.parse(manifestBytes.toString("utf8")) as unknown);
    } catch (err) {
      problems.push(...(err instanceof ManifestError ? err.problems.map((p) => `manifest: ${p}`) : [`manifest.json is not JSON: ${(err as Error).message}`]));
    }
  }
  const manifest = report.manifest;
  if (manifest === null || modelBytes === null) return finish();

  const actual = sha256Hex(modelBytes);
  if (actual !== manifest.sha256) problems.push(`sha256 of model.onnx is ${actual}, manifest says ${manifest.sha256}`);
  const expectedPreprocessing = options.preprocessing === undefined ? PREPROCESSING_ID : options.preprocessing;
  if (expectedPreprocessing !== null && manifest.preprocessing !== expectedPreprocessing) {
    problems.push(`model is trained for preprocessing "${manifest.preprocessing}", this runtime does "${expectedPreprocessing}"`);
  }

  // Golden digits: declared in the manifest, integrity-checked, parsed before any inference.
  let golden: ReturnType<typeof parseGolden>["items"] = [];
  if (manifest.golden === undefined) {
    if (options.requireGolden !== false) problems.push("manifest declares no golden digits (golden.file)");
  } else {
    const bytes = await readOrNull(path.join(dir, manifest.golden.file), problems);
    if (bytes !== null) {
      const sha = sha256Hex(bytes);
      if (sha !== manifest.golden.sha256) problems.push(`sha256 of ${manifest.golden.file} is ${sha}, manifest says ${manifest.golden.sha256}`);
      const parsed = parseGolden(bytes.toString("utf8"));
      problems.push(...parsed.problems);
      if (parsed.items.length !== manifest.golden.count) problems.push(`${manifest.golden.file} holds ${parsed.items.length} valid digits, manifest says ${manifest.golden.count}`);
      golden = parsed.items;
    }
  }

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelBytes, DEVICE_SESSION_OPTIONS);
  } catch (err) {
    problems.push(`onnxruntime cannot load model.onnx: ${(err as Error).message}`);
    return finish();
  }
  try {
    const io = checkSessionIo(session, manifest);
    problems.push(...io.problems);
    if (io.problems.length > 0) return finish();

    if (golden.length > 0) {
      const images = new Uint8Array(golden.length * PIXELS);
      golden.forEach((g, i) => images.set(g.pixels, i * PIXELS));
      try {
        const { digits, confidence } = await predict(session, manifest, images, golden.length, io.maxBatch);
        const failures: GoldenFailure[] = [];
        golden.forEach((g, i) => {
          if (digits[i] !== g.label) failures.push({ index: i, source: g.source, expected: g.label, got: digits[i]!, confidence: confidence[i]! });
        });
        report.golden = { total: golden.length, passed: golden.length - failures.length, failures };
        if (failures.length > 0) {
          const shown = failures.slice(0, 5).map((f) => `${f.source} expected ${f.expected} got ${f.got} (p=${f.confidence.toFixed(2)})`);
          problems.push(`golden digits: ${failures.length} of ${golden.length} fail: ${shown.join(", ")}${failures.length > 5 ? ", ..." : ""}`);
        }
      } catch (err) {
        problems.push(`running the golden digits failed: ${(err as Error).message}`);
      }
    }

    if (options.minAccuracy !== undefined && options.evalSet === undefined) problems.push("an accuracy threshold was given without a set to measure it on");
    if (options.evalSet !== undefined) {
      const set = options.evalSet;
      try {
        const { digits } = await predict(session, manifest, set.images, set.count, io.maxBatch);
        let correct = 0;
        for (let i = 0; i < set.count; i++) if (digits[i] === set.labels[i]) correct++;
        const accuracy = set.count === 0 ? 0 : correct / set.count;
        report.accuracy = { set: set.name, correct, count: set.count, accuracy, min: options.minAccuracy ?? null };
        if (options.minAccuracy !== undefined && accuracy < options.minAccuracy) {
          problems.push(`accuracy on ${set.name} is ${(100 * accuracy).toFixed(2)} % (${correct}/${set.count}), below the required ${(100 * options.minAccuracy).toFixed(2)} %`);
        }
      } catch (err) {
        problems.push(`measuring accuracy on ${set.name} failed: ${(err as Error).message}`);
      }
    }

    if (options.latencyBudgetMs !== undefined) {
      try {
        const stats = (await measureLatency([{ name: "model", session, feeds: timingInput(manifest.input.name) }], options.latencyRuns ?? 200, 20)).model!;
        report.latency = { ...stats, budgetMs: options.latencyBudgetMs };
        if (stats.medianMs > options.latencyBudgetMs) {
          problems.push(`median single-sample latency ${stats.medianMs.toFixed(3)} ms exceeds the budget of ${options.latencyBudgetMs} ms`);
        }
      } catch (err) {
        problems.push(`measuring latency failed: ${(err as Error).message}`);
      }
    }
  } finally {
    await session.release();
  }
  return finish();
}

/** validatePackage, throwing a ValidationError (listing every problem) unless the package passes. */
export async function assertValidPackage(dir: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  const report = await validatePackage(dir, options);
  if (!report.ok) throw new ValidationError(report);
  return report;
}
