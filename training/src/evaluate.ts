// Runs an exported ONNX model with onnxruntime-node over a DigitSet: logits, accuracy and a confusion matrix.
import * as ort from "onnxruntime-node";
import type { DigitSet } from "./data/dataset.js";
import { NUM_CLASSES } from "./model.js";
import { normalizeInto, type Normalization } from "./normalization.js";

export interface OnnxEvaluation {
  count: number;
  correct: number;
  accuracy: number;
  /** confusion[label][predicted] */
  confusion: number[][];
}

export interface OnnxRunOptions {
  inputName: string;
  outputName: string;
  normalization: Normalization;
  batchSize?: number;
}

/** Opens an ONNX model (file path or bytes) with onnxruntime-node, single-threaded like the device. */
export async function openSession(model: string | Uint8Array): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  return typeof model === "string" ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

/** Logits [count * 10] for the first `count` images of the set (all by default). */
export async function onnxLogits(
  session: ort.InferenceSession,
  set: DigitSet,
  options: OnnxRunOptions,
  count: number = set.count,
): Promise<Float32Array> {
  const batchSize = options.batchSize ?? 500;
  const logits = new Float32Array(count * NUM_CLASSES);
  const input = new Float32Array(batchSize * 784);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    normalizeInto(input, set.images, start, n, options.normalization);
    const tensor = new ort.Tensor("float32", input.subarray(0, n * 784), [n, 1, 28, 28]);
    const result = await session.run({ [options.inputName]: tensor });
    const out = result[options.outputName];
    if (out === undefined) throw new Error(`model has no output "${options.outputName}"`);
    if (out.dims.join() !== `${n},${NUM_CLASSES}`) throw new Error(`output "${options.outputName}" has shape [${out.dims}], expected [${n},${NUM_CLASSES}]`);
    logits.set(out.data as Float32Array, start * NUM_CLASSES);
  }
  return logits;
}

export function argmaxRows(values: Float32Array, columns: number = NUM_CLASSES): Uint8Array {
  const rows = values.length / columns;
  const out = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < columns; c++) if (values[r * columns + c]! > values[r * columns + best]!) best = c;
    out[r] = best;
  }
  return out;
}

/** Accuracy and confusion matrix of predictions against the set's labels. */
export function score(predictions: Uint8Array, labels: Uint8Array): OnnxEvaluation {
  const confusion = Array.from({ length: NUM_CLASSES }, () => new Array<number>(NUM_CLASSES).fill(0));
  let correct = 0;
  predictions.forEach((p, i) => {
    const label = labels[i]!;
    confusion[label]![p]!++;
    if (p === label) correct++;
  });
  const count = predictions.length;
  return { count, correct, accuracy: count === 0 ? 0 : correct / count, confusion };
}

/** Throws unless the model has the input and output the options (usually a manifest) name. */
export function checkSessionNames(session: ort.InferenceSession, options: Pick<OnnxRunOptions, "inputName" | "outputName">): void {
  const problems: string[] = [];
  if (!session.inputNames.includes(options.inputName)) problems.push(`no input "${options.inputName}" (it has ${session.inputNames.join(", ")})`);
  if (!session.outputNames.includes(options.outputName)) problems.push(`no output "${options.outputName}" (it has ${session.outputNames.join(", ")})`);
  if (problems.length > 0) throw new Error(`model does not match: ${problems.join("; ")}`);
}

export async function evaluateOnnx(model: string | Uint8Array, set: DigitSet, options: OnnxRunOptions): Promise<OnnxEvaluation> {
  const session = await openSession(model);
  try {
    checkSessionNames(session, options);
    const logits = await onnxLogits(session, set, options);
    return score(argmaxRows(logits), set.labels.subarray(0, set.count));
  } finally {
    await session.release();
  }
}

/** A text confusion matrix: rows are true labels, columns predictions. */
export function formatConfusion(confusion: number[][]): string {
  const cell = (v: string | number): string => String(v).padStart(6);
  const lines = [`${cell("true\\pred")}${confusion.map((_, i) => cell(i)).join("")}`];
  confusion.forEach((row, label) => {
    const total = row.reduce((a, b) => a + b, 0);
    const recall = total === 0 ? "" : `  ${((100 * (row[label] ?? 0)) / total).toFixed(1)}%`;
    lines.push(`${cell(label).padStart(9)}${row.map((v) => cell(v)).join("")}${recall}`);
  });
  return lines.join("\n");
}
