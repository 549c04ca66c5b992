// "Not sure", calibrated: temperature scaling fitted on validation digits, then the confidence threshold
// that rejects as many non-digits as possible while answering almost every real digit.
import type { Calibration } from "@digit-kiosk/runtime/contracts/manifest";
import type { DigitSet } from "./data/dataset.js";
import { onnxLogits, openSession, type OnnxRunOptions } from "./evaluate.js";
import { NUM_CLASSES } from "./model.js";

/** Softmax of logits / T, row by row. */
export function softmaxRows(logits: Float32Array, temperature = 1): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length; r += NUM_CLASSES) {
    let max = -Infinity;
    for (let c = 0; c < NUM_CLASSES; c++) max = Math.max(max, logits[r + c]! / temperature);
    let sum = 0;
    for (let c = 0; c < NUM_CLASSES; c++) sum += out[r + c] = Math.exp(logits[r + c]! / temperature - max);
    for (let c = 0; c < NUM_CLASSES; c++) out[r + c]! /= sum;
  }
  return out;
}

/** Mean negative log-likelihood of the labels under softmax(logits / T). */
export function nll(logits: Float32Array, labels: ArrayLike<number>, temperature: number): number {
  let total = 0;
  const n = logits.length / NUM_CLASSES;
  for (let i = 0; i < n; i++) {
    const r = i * NUM_CLASSES;
    let max = -Infinity;
    for (let c = 0; c < NUM_CLASSES; c++) max = Math.max(max, logits[r + c]! / temperature);
    let sum = 0;
    for (let c = 0; c < NUM_CLASSES; c++) sum += Math.exp(logits[r + c]! / temperature - max);
    total += max + Math.log(sum) - logits[r + labels[i]!]! / temperature;
  }
  return total / n;
}

/** The temperature in [0.05, 20] minimizing the NLL (golden-section search on log T; the NLL is unimodal in it). */
export function fitTemperature(logits: Float32Array, labels: ArrayLike<number>): number {
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  const g = (Math.sqrt(5) - 1) / 2;
  let a = hi - g * (hi - lo);
  let b = lo + g * (hi - lo);
  let fa = nll(logits, labels, Math.exp(a));
  let fb = nll(logits, labels, Math.exp(b));
  for (let k = 0; k < 60; k++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - g * (hi - lo);
      fa = nll(logits, labels, Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + g * (hi - lo);
      fb = nll(logits, labels, Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}

/** The top probability of each row. */
export function maxProbabilities(probs: Float32Array): Float32Array {
  const out = new Float32Array(probs.length / NUM_CLASSES);
  for (let i = 0; i < out.length; i++) {
    let m = 0;
    for (let c = 0; c < NUM_CLASSES; c++) m = Math.max(m, probs[i * NUM_CLASSES + c]!);
    out[i] = m;
  }
  return out;
}

/** Share of values below the threshold (what would be answered null). */
export function shareBelow(values: ArrayLike<number>, threshold: number): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i]! < threshold) n++;
  return values.length === 0 ? 0 : n / values.length;
}

/**
 * The highest threshold at which no digit set has more than `maxDigitNull` of its digits
 * below it: each set's `maxDigitNull` quantile of top probabilities, the smallest of them.
 */
export function chooseThreshold(digitSets: ReadonlyArray<ArrayLike<number>>, maxDigitNull: number): number {
  let threshold = 1;
  for (const set of digitSets) {
    if (set.length === 0) continue;
    const sorted = Float64Array.from(set as ArrayLike<number>).sort();
    // rejecting the k lowest is allowed; the threshold sits at the (k+1)-th lowest value
    const k = Math.floor(maxDigitNull * sorted.length);
    threshold = Math.min(threshold, sorted[k]!);
  }
  return threshold;
}

export interface CalibrationInput {
  /** validation digits: logits and labels per named set (writer-disjoint from training) */
  digits: Array<{ name: string; logits: Float32Array; labels: ArrayLike<number> }>;
  /** validation non-digits: logits per named set */
  nonDigits: Array<{ name: string; logits: Float32Array }>;
  /** most of each digit set allowed to be answered null */
  maxDigitNull: number;
}

export interface CalibrationReport {
  calibration: Calibration;
  /** per set: share answered null at the chosen temperature and threshold */
  nullShare: Record<string, number>;
  nllBefore: number;
  nllAfter: number;
}

/** Fits T on all validation digits together, then picks the threshold. */
export function calibrate(input: CalibrationInput): CalibrationReport {
  const total = input.digits.reduce((n, d) => n + d.labels.length, 0);
  if (total === 0) throw new Error("calibration needs validation digits");
  const logits = new Float32Array(total * NUM_CLASSES);
  const labels = new Uint8Array(total);
  let at = 0;
  for (const d of input.digits) {
    logits.set(d.logits, at * NUM_CLASSES);
    labels.set(Array.from(d.labels), at);
    at += d.labels.length;
  }
  const temperature = fitTemperature(logits, labels);
  const digitMax = input.digits.map((d) => maxProbabilities(softmaxRows(d.logits, temperature)));
  const threshold = chooseThreshold(digitMax, input.maxDigitNull);
  const nullShare: Record<string, number> = {};
  input.digits.forEach((d, i) => (nullShare[d.name] = shareBelow(digitMax[i]!, threshold)));
  for (const nd of input.nonDigits) nullShare[nd.name] = shareBelow(maxProbabilities(softmaxRows(nd.logits, temperature)), threshold);
  return {
    calibration: {
      temperature: Math.round(temperature * 1e4) / 1e4,
      threshold: Math.floor(threshold * 1e4) / 1e4,
      method: `temperature scaling (NLL) on ${input.digits.map((d) => d.name).join("+")}; threshold: at most ${(100 * input.maxDigitNull).toFixed(1)} % of each set's digits null`,
    },
    nullShare,
    nllBefore: nll(logits, labels, 1),
    nllAfter: nll(logits, labels, temperature),
  };
}

/** calibrate() on an ONNX model's own logits (onnxruntime) for named validation digit sets and the generated non-digits. */
export async function calibrateOnnx(
  model: Uint8Array,
  run: OnnxRunOptions,
  digitSets: ReadonlyArray<{ name: string; set: DigitSet }>,
  nonDigits: DigitSet,
  maxDigitNull: number,
): Promise<CalibrationReport> {
  const session = await openSession(model);
  try {
    const digits = [];
    for (const { name, set } of digitSets) digits.push({ name, logits: await onnxLogits(session, set, run), labels: set.labels });
    return calibrate({ digits, nonDigits: [{ name: "non-digits-val", logits: await onnxLogits(session, nonDigits, run) }], maxDigitNull });
  } finally {
    await session.release();
  }
}
