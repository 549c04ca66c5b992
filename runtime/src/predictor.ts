// One prediction: validated strokes -> the shared preprocessing -> the active model -> the contract's answer.
import type { PredictRequest, Prediction } from "./contracts/api.js";
import type { ModelStore } from "./model/store.js";
import { renderStrokes } from "./preprocess/index.js";

export interface PredictionResult {
  prediction: Prediction;
  /** the 784 bytes of the 28x28 image the model saw */
  input: Uint8Array;
}

export class Predictor {
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
    const probs = await engine.infer(input);
    let best = 0;
    for (let d = 1; d < probs.length; d++) if (probs[d]! > probs[best]!) best = d;
    const confidence = probs[best]!;
    const confident = confidence >= this.confidenceThreshold && input.some((v) => v > 0);
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
