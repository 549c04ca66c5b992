// Classroom mode: asks the runtime for every layer's activations of the current drawing, with the same
// policy as predictions (one request in flight, the newest drawing wins, stale answers dropped).
import { signal } from "@preact/signals";
import type { LayerActivation, WsAnyServerMessage } from "@digit-kiosk/runtime/contracts/api";
import type { DrawingModel } from "./drawing.js";
import type { PredictionLink } from "./prediction.js";
import { decodeBytes, decodeInput, explainMessage } from "./protocol.js";
import { RequestSlot } from "./request-slot.js";

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
  private readonly slot = new RequestSlot<{ id: string; revision: number; generation: number }>(ANSWER_TIMEOUT_MS);
  private cleanups: Array<() => void> = [];

  constructor(
    private readonly drawing: DrawingModel,
    private readonly connection: PredictionLink,
  ) {}

  start(): void {
    this.cleanups.push(
      this.drawing.generation.subscribe(() => {
        this.result.value = null;
        this.slot.resend();
      }),
      this.drawing.revision.subscribe(() => this.pump()),
      this.enabled.subscribe(() => this.pump()),
      this.connection.opens.subscribe(() => this.pump()),
      this.connection.status.subscribe((status) => {
        if (status !== "connected") this.slot.forget();
      }),
      this.connection.onMessage((message) => this.receive(message)),
      () => this.slot.forget(),
    );
  }

  stop(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  toggle(): void {
    this.enabled.value = !this.enabled.value;
  }

  private pump(): void {
    if (!this.enabled.value || this.drawing.isEmpty.value) return;
    const revision = this.drawing.revision.value;
    if (!this.slot.wants(revision)) return;
    const id = `x${this.nextId++}`;
    const { width, height } = this.drawing.surface;
    if (!this.connection.send(explainMessage(id, this.drawing.strokes, width, height))) return;
    this.slot.sent({ id, revision, generation: this.drawing.generation.value });
  }

  private receive(message: WsAnyServerMessage): void {
    const sent = this.slot.inFlight;
    if (sent === null || message.id !== sent.id) return;
    this.slot.settle();
    if (message.type === "explanation" && sent.generation === this.drawing.generation.value) {
      const layers = message.layers.map(toLayerView).filter((l): l is LayerView => l !== null);
      this.result.value = { input: decodeInput(message.input), layers, probabilities: message.probabilities, revision: sent.revision };
      this.shapes.value = layers.map(({ maps: _maps, ...shape }) => shape);
    }
    this.pump();
  }
}
