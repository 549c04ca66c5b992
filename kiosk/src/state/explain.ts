// Classroom mode: asks the runtime for every layer's activations of the current drawing, with the same
// policy as predictions (one request in flight, the newest drawing wins, stale answers dropped).
import { signal } from "@preact/signals";
import type { LayerActivation, WsAnyServerMessage } from "@digit-kiosk/runtime/contracts/api";
import type { DrawingModel } from "./drawing.js";
import type { PredictionLink } from "./prediction.js";
import { decodeBytes, decodeInput, explainMessage } from "./protocol.js";

export interface LayerView {
  name: string;
  kind: LayerActivation["kind"];
  relu: boolean;
  channels: number;
  height: number;
  width: number;
  /** channels * height * width bytes, 0..255 across the layer's own range */
  maps: Uint8Array;
}

export interface ExplanationView {
  input: Uint8Array | null;
  layers: LayerView[];
  probabilities: readonly number[];
  revision: number;
}

/** A layer's shape, kept after a clear so the empty network still shows its columns. */
export type LayerShape = Omit<LayerView, "maps">;

const ANSWER_TIMEOUT_MS = 10_000;

function toLayerView(layer: LayerActivation): LayerView | null {
  const maps = decodeBytes(layer.data, layer.channels * layer.height * layer.width);
  if (maps === null) return null;
  const { name, kind, relu, channels, height, width } = layer;
  return { name, kind, relu, channels, height, width, maps };
}

export class ExplainModel {
  /** Classroom mode on or off. */
  readonly enabled = signal(false);
  readonly result = signal<ExplanationView | null>(null);
  readonly shapes = signal<readonly LayerShape[]>([]);

  private nextId = 1;
  private inFlight: { id: string; revision: number; generation: number } | null = null;
  private sentRevision = -1;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private cleanups: Array<() => void> = [];

  constructor(
    private readonly drawing: DrawingModel,
    private readonly connection: PredictionLink,
  ) {}

  start(): void {
    this.cleanups.push(
      this.drawing.generation.subscribe(() => {
        this.result.value = null;
        this.sentRevision = -1;
      }),
      this.drawing.revision.subscribe(() => this.pump()),
      this.enabled.subscribe(() => this.pump()),
      this.connection.opens.subscribe(() => this.pump()),
      this.connection.status.subscribe((status) => {
        if (status !== "connected") this.forget();
      }),
      this.connection.onMessage((message) => this.receive(message)),
      () => this.forget(),
    );
  }

  stop(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  toggle(): void {
    this.enabled.value = !this.enabled.value;
  }

  private pump(): void {
    if (!this.enabled.value || this.inFlight !== null || this.drawing.isEmpty.value) return;
    const revision = this.drawing.revision.value;
    if (revision === this.sentRevision) return;
    const id = `x${this.nextId++}`;
    const { width, height } = this.drawing.surface;
    if (!this.connection.send(explainMessage(id, this.drawing.strokes, width, height))) return;
    this.sentRevision = revision;
    this.inFlight = { id, revision, generation: this.drawing.generation.value };
    this.timer = setTimeout(() => this.forget(), ANSWER_TIMEOUT_MS);
  }

  private receive(message: WsAnyServerMessage): void {
    const sent = this.inFlight;
    if (sent === null || message.id !== sent.id) return;
    this.settle();
    if (message.type === "explanation" && sent.generation === this.drawing.generation.value) {
      const layers = message.layers.map(toLayerView).filter((l): l is LayerView => l !== null);
      this.result.value = { input: decodeInput(message.input), layers, probabilities: message.probabilities, revision: sent.revision };
      this.shapes.value = layers.map(({ maps: _maps, ...shape }) => shape);
    }
    this.pump();
  }

  private forget(): void {
    if (this.inFlight === null) return;
    this.settle();
    this.sentRevision = -1;
  }

  private settle(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.inFlight = null;
  }
}
