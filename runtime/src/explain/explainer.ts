// Classroom mode's activations: a second onnxruntime session of the active model with every layer as an
// extra output, built once per model and used only on request, so the normal prediction path is untouched.
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import type { LayerActivation, PredictRequest, WsExplanationMessage } from "../contracts/api.js";
import { ApiError, tooManyRequests } from "../contracts/errors.js";
import { MODEL_FILE } from "../contracts/manifest.js";
import { softmaxInPlace } from "../inference/engine.js";
import { applyTemperature } from "../predictor.js";
import { logger } from "../log.js";
import { sha256Hex, type LoadedModel } from "../model/package.js";
import type { ModelStore } from "../model/store.js";
import { renderStrokes } from "../preprocess/index.js";
import { tapModel, type LayerTap } from "./graph.js";

const log = logger("explain");
const PIXELS = 28 * 28;
/** Explanations waiting (one runs at a time); more get 429. */
const MAX_WAITING = 4;

export type Explanation = Omit<WsExplanationMessage, "type" | "id">;

interface Built {
  sha256: string;
  session: ort.InferenceSession;
  taps: LayerTap[];
}

/** One layer's float tensor [1, C, H, W] -> bytes for display, scaled so the layer's extremes span 0..255. */
export function toActivation(tap: LayerTap, tensor: ort.Tensor): LayerActivation {
  const [, channels = 0, height = 0, width = 0] = tensor.dims;
  const values = tensor.data as Float32Array;
  let min = 0;
  let max = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const bytes = new Uint8Array(values.length);
  const span = max - min;
  if (span > 0) for (let i = 0; i < values.length; i++) bytes[i] = Math.round(((values[i]! - min) / span) * 255);
  return { name: tap.tensor, kind: tap.kind, relu: tap.relu, channels, height, width, min, max, data: Buffer.from(bytes).toString("base64") };
}

export class Explainer {
  private built: Built | null = null;
  private building: Promise<Built> | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly models: ModelStore) {}

  /** Builds the session for the loaded model now, so the first request is quick; a failure only disables explanations. */
  async start(): Promise<void> {
    if (!this.models.loaded) return;
    try {
      await this.sessionFor(this.models.current().model);
    } catch (err) {
      log.warn("classroom activations unavailable", { error: String(err) });
    }
  }

  async stop(): Promise<void> {
    await this.tail.catch(() => undefined);
    const built = this.built ?? (await this.building?.catch(() => null)) ?? null;
    this.built = null;
    this.building = null;
    if (built !== null) await built.session.release();
  }

  /** The activations of every layer for a drawing, and the output probabilities of the same run. */
  explain(request: PredictRequest): Promise<Explanation> {
    const model = this.models.current().model; // 503 before any work when no model is loaded
    if (this.waiting >= MAX_WAITING) return Promise.reject(tooManyRequests("explanations are busy; try again"));
    this.waiting++;
    const run = this.tail.then(() => this.run(model, request));
    this.tail = run.catch(() => undefined).finally(() => this.waiting--);
    return run;
  }

  private async run(model: LoadedModel, request: PredictRequest): Promise<Explanation> {
    const started = performance.now();
    const built = await this.sessionFor(model);
    const pixels = renderStrokes(request.strokes, request.width, request.height);
    const { input, output } = model.manifest;
    const data = new Float32Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) data[i] = (pixels[i]! * input.pixelScale - input.mean) / input.std;
    const feeds = { [input.name]: new ort.Tensor("float32", data, [1, 1, 28, 28]) };
    const result = await built.session.run(feeds, [output.name, ...built.taps.map((t) => t.tensor)]);
    const layers = built.taps.flatMap((tap) => {
      const tensor = result[tap.tensor];
      return tensor !== undefined && tensor.type === "float32" && tensor.dims.length === 4 ? [toActivation(tap, tensor)] : [];
    });
    const raw = Float32Array.from(result[output.name]!.data as Float32Array);
    if (output.kind === "logits") softmaxInPlace(raw);
    // The same calibrated probabilities the prediction shows.
    const probabilities = applyTemperature(raw, model.manifest.calibration?.temperature ?? 1);
    const { name, version } = model.manifest;
    return {
      model: { name, version },
      input: Buffer.from(pixels).toString("base64"),
      layers,
      probabilities: Array.from(probabilities),
      elapsedMs: performance.now() - started,
    };
  }

  /** The tapped session of this model, built on first use (and again only when the model changes). */
  private async sessionFor(model: LoadedModel): Promise<Built> {
    const sha256 = model.manifest.sha256;
    if (this.built?.sha256 === sha256) return this.built;
    if (this.building === null) {
      this.building = this.build(model).finally(() => {
        this.building = null;
      });
    }
    const built = await this.building;
    if (built.sha256 !== sha256) return this.sessionFor(model);
    const old = this.built;
    this.built = built;
    if (old !== null && old !== built) await old.session.release();
    return built;
  }

  private async build(model: LoadedModel): Promise<Built> {
    const bytes = await readFile(path.join(model.dir, MODEL_FILE));
    if (sha256Hex(bytes) !== model.manifest.sha256) {
      throw new ApiError(503, "no_model", "the model on disk is not the loaded one; activations are unavailable until it is reloaded");
    }
    const tapped = tapModel(bytes);
    const session = await ort.InferenceSession.create(tapped.bytes, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    });
    log.info("classroom activations ready", { model: model.manifest.name, layers: tapped.taps.map((t) => t.tensor) });
    return { sha256: model.manifest.sha256, session, taps: tapped.taps };
  }
}
