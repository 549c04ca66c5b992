// Scores an ONNX model on a labelled set with onnxruntime, keeping each image's answer and its probability
// (for the confusion matrix, the worst mistakes and the choice of golden digits).
import type { DigitSet } from "../data/dataset.js";
import { argmaxRows, checkSessionNames, onnxLogits, openSession, score, type OnnxRunOptions } from "../evaluate.js";
import { NUM_CLASSES } from "../model.js";

export interface ModelScore {
  correct: number;
  count: number;
  accuracy: number;
  /** confusion[label][predicted] */
  confusion: number[][];
  predictions: Uint8Array;
  /** softmax probability of the predicted digit */
  confidence: Float32Array;
}

export async function scoreModel(model: Uint8Array, set: DigitSet, run: OnnxRunOptions): Promise<ModelScore> {
  const session = await openSession(model);
  try {
    checkSessionNames(session, run);
    const logits = await onnxLogits(session, set, run);
    const predictions = argmaxRows(logits);
    const confidence = new Float32Array(set.count);
    for (let r = 0; r < set.count; r++) {
      const row = logits.subarray(r * NUM_CLASSES, (r + 1) * NUM_CLASSES);
      const max = row[predictions[r]!]!;
      let sum = 0;
      for (const v of row) sum += Math.exp(v - max);
      confidence[r] = 1 / sum;
    }
    const s = score(predictions, set.labels.subarray(0, set.count));
    return { ...s, predictions, confidence };
  } finally {
    await session.release();
  }
}
