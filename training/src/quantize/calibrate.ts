// Activation calibration: runs the fp32 model on calibration images, reading intermediate tensors,
// and keeps each tensor's min, max and a histogram, from which min-max and percentile ranges follow.
import * as ort from "onnxruntime-node";
import type { DigitSet } from "../data/dataset.js";
import { normalizeInto, type Normalization } from "../normalization.js";
import { decodeModel, encodeModel, floatOutput, graphOf } from "./graph.js";

export const HISTOGRAM_BINS = 2048;

export interface TensorStats {
  min: number;
  max: number;
  /** HISTOGRAM_BINS counts over [min, max] */
  histogram: Float64Array;
  count: number;
}

export type CalibrationMethod = "minmax" | "percentile";

export interface CalibrationInput {
  set: DigitSet;
  normalization: Normalization;
  inputName: string;
  batchSize?: number;
}

/** Runs the model with every named tensor as an extra output and hands each batch's values to visit. */
async function forEachBatch(
  fp32: Uint8Array,
  tensors: readonly string[],
  input: CalibrationInput,
  visit: (tensor: string, values: Float32Array) => void,
): Promise<void> {
  const model = decodeModel(fp32);
  const graph = graphOf(model);
  const outputs = new Set(graph.output.map((o) => o.name));
  for (const t of tensors) if (!outputs.has(t) && t !== input.inputName) graph.output.push(floatOutput(t));
  const session = await ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const batchSize = input.batchSize ?? 250;
    const buffer = new Float32Array(batchSize * 784);
    const fetches = tensors.filter((t) => t !== input.inputName);
    for (let start = 0; start < input.set.count; start += batchSize) {
      const n = Math.min(batchSize, input.set.count - start);
      normalizeInto(buffer, input.set.images, start, n, input.normalization);
      const data = buffer.subarray(0, n * 784);
      if (tensors.includes(input.inputName)) visit(input.inputName, data);
      if (fetches.length === 0) continue;
      const result = await session.run({ [input.inputName]: new ort.Tensor("float32", data, [n, 1, 28, 28]) }, fetches);
      for (const t of fetches) {
        const out = result[t];
        if (out === undefined || out.type !== "float32") throw new Error(`calibration: tensor ${t} is missing or not float32`);
        visit(t, out.data as Float32Array);
      }
    }
  } finally {
    await session.release();
  }
}

/** Min, max and histogram of each tensor over the calibration set (two passes: range, then histogram). */
export async function collectStats(fp32: Uint8Array, tensors: readonly string[], input: CalibrationInput): Promise<Map<string, TensorStats>> {
  if (input.set.count === 0) throw new Error("calibration set is empty");
  const stats = new Map<string, TensorStats>(
    tensors.map((t) => [t, { min: Infinity, max: -Infinity, histogram: new Float64Array(HISTOGRAM_BINS), count: 0 }]),
  );
  await forEachBatch(fp32, tensors, input, (t, values) => {
    const s = stats.get(t)!;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < s.min) s.min = v;
      if (v > s.max) s.max = v;
    }
  });
  await forEachBatch(fp32, tensors, input, (t, values) => {
    const s = stats.get(t)!;
    const width = s.max - s.min;
    const k = width > 0 ? HISTOGRAM_BINS / width : 0;
    for (let i = 0; i < values.length; i++) {
      const bin = Math.min(HISTOGRAM_BINS - 1, Math.floor((values[i]! - s.min) * k));
      s.histogram[bin]!++;
    }
    s.count += values.length;
  });
  return stats;
}

/**
 * The range to quantize a tensor to. minmax: everything seen. percentile: the tails beyond the
 * given percentile are clipped (upper tail always; lower tail only for tensors that go negative).
 */
export function calibratedRange(stats: TensorStats, method: CalibrationMethod, percentile = 99.99): [number, number] {
  switch (method) {
    case "minmax":
      return [stats.min, stats.max];
    case "percentile": {
      if (!(percentile > 50 && percentile <= 100)) throw new Error(`percentile must be in (50, 100], got ${percentile}`);
      const binWidth = (stats.max - stats.min) / HISTOGRAM_BINS;
      const edge = (fraction: number): number => {
        // the upper edge of the first bin at which the cumulative count reaches fraction * count
        const target = fraction * stats.count;
        let cumulative = 0;
        for (let b = 0; b < HISTOGRAM_BINS; b++) {
          cumulative += stats.histogram[b]!;
          if (cumulative >= target) return stats.min + (b + 1) * binWidth;
        }
        return stats.max;
      };
      const hi = Math.min(stats.max, edge(percentile / 100));
      const lo = stats.min < 0 ? Math.max(stats.min, edge(1 - percentile / 100) - binWidth) : stats.min;
      return [lo, hi];
    }
  }
}
