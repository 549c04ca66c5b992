// Offline evaluation of a model package: the same preprocessing, temperature and threshold as the runtime, run with onnxruntime.
import { renderStrokes } from "@digit-kiosk/runtime/preprocess/index";
import type { Manifest } from "@digit-kiosk/runtime/contracts/manifest";
import { softmaxRows } from "../calibration.js";
import { PIXELS, type DigitSet } from "../data/dataset.js";
import type { EvalData } from "../data/sets.js";
import type { Drawing } from "../data/strokes.js";
import { checkSessionNames, onnxLogits, openSession } from "../evaluate.js";
import { NUM_CLASSES } from "../model.js";
import type { Answer } from "./report.js";

/** The runtime's default CONFIDENCE_THRESHOLD, used for a manifest without calibration. */
export const DEFAULT_THRESHOLD = 0.5;

export function renderDrawingSet(drawings: readonly Drawing[]): DigitSet {
  const images = new Uint8Array(drawings.length * PIXELS);
  drawings.forEach((d, i) => images.set(renderStrokes(d.strokes, d.width, d.height), i * PIXELS));
  return { images, labels: new Uint8Array(drawings.length), count: drawings.length };
}

/** Answers from logits as the runtime gives them: softmax(logits / T), null below the threshold or for an empty image. */
export function answersFromLogits(logits: Float32Array, images: DigitSet, labels: ArrayLike<number>, manifest: Pick<Manifest, "calibration" | "output">, kinds?: Array<string | undefined>): Answer[] {
  const temperature = manifest.calibration?.temperature ?? 1;
  const threshold = manifest.calibration?.threshold ?? DEFAULT_THRESHOLD;
  const probs = manifest.output.kind === "logits" ? softmaxRows(logits, temperature) : softmaxRows(logits.map((p) => Math.log(Math.max(p, 1e-30))), temperature);
  const answers: Answer[] = [];
  for (let i = 0; i < images.count; i++) {
    let top = 0;
    for (let c = 1; c < NUM_CLASSES; c++) if (probs[i * NUM_CLASSES + c]! > probs[i * NUM_CLASSES + top]!) top = c;
    const confidence = probs[i * NUM_CLASSES + top]!;
    let ink = false;
    for (let p = 0; p < PIXELS && !ink; p++) ink = images.images[i * PIXELS + p]! > 0;
    const kind = kinds?.[i];
    answers.push({ label: labels[i]!, digit: confidence >= threshold && ink ? top : null, top, confidence, ...(kind !== undefined ? { kind } : {}) });
  }
  return answers;
}

/** Runs the package's model on a held-out set (digits, or the non-digit drawings). */
export async function evaluateOffline(model: Uint8Array, manifest: Manifest, data: EvalData, batchSize = 500): Promise<Answer[]> {
  const session = await openSession(model);
  try {
    const options = { inputName: manifest.input.name, outputName: manifest.output.name, normalization: manifest.input, batchSize };
    checkSessionNames(session, options);
    if (data.digits !== null) {
      const logits = await onnxLogits(session, data.digits, options);
      return answersFromLogits(logits, data.digits, data.digits.labels, manifest);
    }
    const drawings = data.drawings ?? [];
    const images = renderDrawingSet(drawings);
    const logits = await onnxLogits(session, images, options);
    return answersFromLogits(logits, images, drawings.map((d) => d.label), manifest, drawings.map((d) => d.kind));
  } finally {
    await session.release();
  }
}
