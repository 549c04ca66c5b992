// Single-sample inference latency of one or more onnxruntime sessions, interleaved run by run so that
// background load on a shared machine hits every model alike. Used by the validator, the packager and the bench.
import * as ort from "onnxruntime-node";

export interface LatencyStats {
  runs: number;
  medianMs: number;
  p99Ms: number;
  meanMs: number;
  minMs: number;
}

export interface LatencySubject {
  name: string;
  session: ort.InferenceSession;
  feeds: ort.InferenceSession.FeedsType;
}

/** Median, p99 (nearest rank), mean and min of durations in ms. */
export function latencyStats(samples: ArrayLike<number>): LatencyStats {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  if (n === 0) return { runs: 0, medianMs: NaN, p99Ms: NaN, meanMs: NaN, minMs: NaN };
  const rank = (q: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return { runs: n, medianMs: median, p99Ms: rank(0.99), meanMs: sorted.reduce((a, b) => a + b, 0) / n, minMs: sorted[0]! };
}

/** Runs each subject `runs` times (after `warmup` untimed runs), alternating between subjects on every run. */
export async function measureLatency(subjects: readonly LatencySubject[], runs: number, warmup = Math.min(100, runs)): Promise<Record<string, LatencyStats>> {
  const times = subjects.map(() => new Float64Array(runs));
  for (let i = -warmup; i < runs; i++) {
    for (let s = 0; s < subjects.length; s++) {
      const { session, feeds } = subjects[s]!;
      const t0 = performance.now();
      await session.run(feeds);
      const dt = performance.now() - t0;
      if (i >= 0) times[s]![i] = dt;
    }
  }
  return Object.fromEntries(subjects.map((s, k) => [s.name, latencyStats(times[k]!)]));
}

/** A single normalized 28x28 input (a plain stroke-like bar, not all zeros) for timing a model. */
export function timingInput(inputName: string): ort.InferenceSession.FeedsType {
  const data = new Float32Array(784).fill(-0.42);
  for (let y = 4; y < 24; y++) for (let x = 12; x < 16; x++) data[y * 28 + x] = 2.8;
  return { [inputName]: new ort.Tensor("float32", data, [1, 1, 28, 28]) };
}

/** One thread, all graph optimizations: how the device runs a model. */
export const DEVICE_SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
};
