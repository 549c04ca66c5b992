// One prediction: validated strokes -> the shared preprocessing -> the active model -> the contract's answer.
import type { PredictRequest, Prediction } from "./contracts/api.js";
import type { ModelStore } from "./model/store.js";
import { renderStrokes } from "./preprocess/index.js";

export interface PredictionResult {
  prediction: Prediction;
  /** the 784 bytes of the 28x28 image the model saw */
  input: Uint8Array;
}

/**
 * Applies a model's calibration to its probabilities: softmax(log p / T) == softmax(logits / T).
 * Returns the input unchanged for T = 1.
 */
export function applyTemperature(probs: Float32Array, temperature: number): Float32Array {
  if (temperature === 1) return probs;
  const out = new Float32Array(probs.length);
  let max = -Infinity;
  for (let i = 0; i < probs.length; i++) {
    out[i] = Math.log(Math.max(probs[i]!, 1e-30)) / temperature;
    if (out[i]! > max) max = out[i]!;
  }
  let sum = 0;
  for (let i = 0; i < out.length; i++) sum += out[i] = Math.exp(out[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

export class Predictor {
  /** @param confidenceThreshold used only for models whose manifest has no calibration */
  constructor(
    private readonly models: ModelStore,
    private readonly confidenceThreshold: number,
  ) {}

  async predictStrokes(request: PredictRequest): Promise<PredictionResult> {
    const started = performance.now();
    this.models.current(); // 503 before any work when no model is loaded
    return this.predictInput(renderStrokes(request.strokes, request.width, request.height), started);
  }

  /** Classifies an already prepared 28x28 input (784 bytes, white ink on black). */
  async predictInput(input: Uint8Array, started = performance.now()): Promise<PredictionResult> {
    const engine = this.models.current();
    const calibration = engine.model.manifest.calibration;
    const probs = applyTemperature(await engine.infer(input), calibration?.temperature ?? 1);
    const threshold = calibration?.threshold ?? this.confidenceThreshold;
    let best = 0;
    for (let d = 1; d < probs.length; d++) if (probs[d]! > probs[best]!) best = d;
    const confidence = probs[best]!;
    const confident = confidence >= threshold && input.some((v) => v > 0);
    const { name, version } = engine.model.manifest;
    return {
      input,
      prediction: {
        digit: confident ? best : null,
        confidence,
        confident,
        probabilities: Array.from(probs),
        model: { name, version },
        elapsedMs: performance.now() - started,
      },
    };
  }
}
