// Runs the model on 28x28 images: requests that arrive while a run is in progress are batched
// into the next run (no added wait at low load), and the queue is capped so overload gets 429.
import * as ort from "onnxruntime-node";
import { tooManyRequests } from "../contracts/errors.js";
import type { LoadedModel } from "../model/package.js";

const PIXELS = 28 * 28;

interface Job {
  pixels: Uint8Array;
  resolve: (probabilities: Float32Array) => void;
  reject: (err: unknown) => void;
}

export interface EngineOptions {
  maxBatch: number;
  maxQueue: number;
}

export function softmaxInPlace(v: Float32Array, offset = 0, n = v.length): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (v[offset + i]! > max) max = v[offset + i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(v[offset + i]! - max);
    v[offset + i] = e;
    sum += e;
  }
  for (let i = 0; i < n; i++) v[offset + i] = v[offset + i]! / sum;
}

export class InferenceEngine {
  private queue: Job[] = [];
  private running: Promise<void> | null = null;
  private readonly maxBatch: number;

  constructor(
    readonly model: LoadedModel,
    private readonly options: EngineOptions,
  ) {
    this.maxBatch = Math.max(1, Math.min(options.maxBatch, model.maxBatch));
  }

  /** Probabilities for the 10 digits of one 784-byte image (white ink on black). */
  infer(pixels: Uint8Array): Promise<Float32Array> {
    if (pixels.length !== PIXELS) return Promise.reject(new Error(`expected ${PIXELS} pixels, got ${pixels.length}`));
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(tooManyRequests(`the recognizer is busy (${this.queue.length} waiting); try again`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ pixels, resolve, reject });
      this.pump();
    });
  }

  /** Resolves once every queued job has been answered. */
  async drain(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private pump(): void {
    if (this.running !== null || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.running = this.run(batch).finally(() => {
      this.running = null;
      this.pump();
    });
  }

  private async run(batch: Job[]): Promise<void> {
    const { input, output } = this.model.manifest;
    const n = batch.length;
    const data = new Float32Array(n * PIXELS);
    const scale = input.pixelScale / input.std;
    const shift = input.mean / input.std;
    for (let b = 0; b < n; b++) {
      const px = batch[b]!.pixels;
      const base = b * PIXELS;
      for (let i = 0; i < PIXELS; i++) data[base + i] = px[i]! * scale - shift;
    }
    try {
      const feeds = { [input.name]: new ort.Tensor("float32", data, [n, 1, 28, 28]) };
      const result = await this.model.session.run(feeds, [output.name]);
      const out = result[output.name]!.data as Float32Array;
      for (let b = 0; b < n; b++) {
        const probs = out.slice(b * 10, b * 10 + 10);
        if (output.kind === "logits") softmaxInPlace(probs);
        batch[b]!.resolve(probs);
      }
    } catch (err) {
      for (const job of batch) job.reject(err);
    }
  }
}
