// Static post-training int8 quantization of an fp32 ONNX model: calibrate once, build a QDQ model per
// calibration method, and pick the method whose model scores best on a selection set.
import type { DigitSet } from "../data/dataset.js";
import { argmaxRows, onnxLogits, openSession, type OnnxRunOptions } from "../evaluate.js";
import { calibratedRange, collectStats, type CalibrationInput, type CalibrationMethod, type TensorStats } from "./calibrate.js";
import { planQdq, toQdq, type QdqPlan } from "./qdq.js";
import { activationParams, type ActivationParams } from "./weights.js";

export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ["minmax", "percentile"];
export const DEFAULT_PERCENTILE = 99.99;

export interface Candidate {
  method: CalibrationMethod;
  model: Uint8Array;
  /** calibrated tensor -> [min, max] used */
  ranges: Record<string, [number, number]>;
  activations: Record<string, ActivationParams>;
}

export interface Calibration {
  plan: QdqPlan;
  stats: Map<string, TensorStats>;
  count: number;
}

export async function calibrate(fp32: Uint8Array, input: CalibrationInput, keepFp32: readonly string[] = []): Promise<Calibration> {
  const plan = planQdq(fp32, keepFp32);
  const stats = await collectStats(fp32, plan.calibrated, input);
  return { plan, stats, count: input.set.count };
}

/** The QDQ model for one calibration method. */
export function quantizeWith(fp32: Uint8Array, calibration: Calibration, method: CalibrationMethod, percentile = DEFAULT_PERCENTILE): Candidate {
  const ranges: Record<string, [number, number]> = {};
  const params = new Map<string, ActivationParams>();
  for (const [tensor, stats] of calibration.stats) {
    const range = calibratedRange(stats, method, percentile);
    ranges[tensor] = range;
    params.set(tensor, activationParams(range[0], range[1]));
  }
  const { model, activations } = toQdq(fp32, calibration.plan, params);
  return { method, model, ranges, activations };
}

export interface SelectionScore {
  method: CalibrationMethod;
  correct: number;
  count: number;
  accuracy: number;
  /** fraction of images where the int8 model predicts what the fp32 model predicts */
  agreement: number;
}

/**
 * Scores each candidate on the selection set and returns them best first: more correct answers
 * wins; on a tie, closer agreement with the fp32 model; then the order given.
 */
export async function rankCandidates(fp32: Uint8Array, candidates: readonly Candidate[], set: DigitSet, run: OnnxRunOptions): Promise<SelectionScore[]> {
  const predict = async (model: Uint8Array): Promise<Uint8Array> => {
    const session = await openSession(model);
    try {
      return argmaxRows(await onnxLogits(session, set, run));
    } finally {
      await session.release();
    }
  };
  const reference = await predict(fp32);
  const scores: SelectionScore[] = [];
  for (const c of candidates) {
    const predictions = await predict(c.model);
    let correct = 0;
    let agree = 0;
    predictions.forEach((p, i) => {
      if (p === set.labels[i]) correct++;
      if (p === reference[i]) agree++;
    });
    scores.push({ method: c.method, correct, count: set.count, accuracy: correct / set.count, agreement: agree / set.count });
  }
  return scores
    .map((s, order) => ({ s, order }))
    .sort((a, b) => b.s.correct - a.s.correct || b.s.agreement - a.s.agreement || a.order - b.order)
    .map(({ s }) => s);
}
