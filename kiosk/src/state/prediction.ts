// Live predictions for the drawing: at most one request in flight, the newest drawing wins, stale answers are dropped.
import { computed, signal, type ReadonlySignal } from "@preact/signals";
import type { ModelRef, WsAnyServerMessage, WsClientMessage } from "@digit-kiosk/runtime/contracts/api";
import type { ConnectionStatus } from "./connection.js";
import type { DrawingModel } from "./drawing.js";
import { decodeInput, predictMessage } from "./protocol.js";
import { RequestSlot } from "./request-slot.js";

export interface PredictionView {
  digit: number | null;
  confident: boolean;
  confidence: number;
  probabilities: readonly number[];
  /** the 28x28 image the model saw, white ink on black; null if the server sent none usable */
  input: Uint8Array | null;
  model: ModelRef;
  elapsedMs: number;
  /** the drawing revision this answers */
  revision: number;
}

export interface PredictionError {
  code: string;
  message: string;
  revision: number;
}

/** What predictions need from the socket (the Connection; a stand-in in unit tests). */
export interface PredictionLink {
  readonly status: ReadonlySignal<ConnectionStatus>;
  /** bumps each time a socket opens */
  readonly opens: ReadonlySignal<number>;
  send(message: WsClientMessage): boolean;
  onMessage(listener: (message: WsAnyServerMessage) => void): () => void;
  /** drop the socket and reconnect */
  restart(): void;
}

interface InFlight {
  id: number;
  revision: number;
  generation: number;
}

/** An answer slower than this means the socket is stuck: reconnect. */
const ANSWER_TIMEOUT_MS = 10_000;

export class PredictionModel {
  readonly result = signal<PredictionView | null>(null);
  readonly error = signal<PredictionError | null>(null);
  /** True while a request is in flight. */
  readonly pending = signal(false);
  /** True when what is shown answers the finished drawing as it is now. */
  readonly settled = computed(() => {
    const revision = this.drawing.revision.value;
    const answered = this.result.value?.revision ?? this.error.value?.revision;
    return !this.drawing.drawing.value && !this.pending.value && answered === revision;
  });

  private nextId = 1;
  /** Answers to ids below this belong to a drawing that was cleared. */
  private firstLiveId = 1;
  /** A request unanswered in time means the socket is stuck: reconnect. */
  private readonly slot = new RequestSlot<InFlight>(
    ANSWER_TIMEOUT_MS,
    () => this.connection.restart(),
    (busy) => (this.pending.value = busy),
  );
  private cleanups: Array<() => void> = [];

  constructor(
    private readonly drawing: DrawingModel,
    private readonly connection: PredictionLink,
  ) {}

  start(): void {
    this.cleanups.push(
      this.drawing.generation.subscribe(() => this.onCleared()),
      this.drawing.revision.subscribe(() => this.pump()),
      this.connection.opens.subscribe(() => this.pump()),
      this.connection.status.subscribe((status) => {
        if (status !== "connected") this.slot.forget();
      }),
      this.connection.onMessage((message) => this.receive(message)),
      () => this.slot.forget(),
    );
  }

  stop(): void {
    for (const cleanup of this.cleanups.splice(0)) {
      try {
        cleanup();
      } catch (err) {
        console.error("prediction: cleanup failed", err);
      }
    }
  }

  private onCleared(): void {
    this.result.value = null;
    this.error.value = null;
    this.firstLiveId = this.nextId;
    this.slot.resend();
  }

  /** Sends the current drawing unless a request is in flight or it was already sent. */
  private pump(): void {
    if (this.drawing.isEmpty.value) return;
    const revision = this.drawing.revision.value;
    if (!this.slot.wants(revision)) return;
    const { width, height } = this.drawing.surface;
    const id = this.nextId++;
    if (!this.connection.send(predictMessage(id, this.drawing.strokes, width, height))) return;
    this.slot.sent({ id, revision, generation: this.drawing.generation.value });
  }

  private receive(message: WsAnyServerMessage): void {
    const sent = this.slot.inFlight;
    if (sent === null || message.id !== sent.id) return;
    this.slot.settle();
    const live = sent.id >= this.firstLiveId && sent.generation === this.drawing.generation.value;
    if (live) {
      switch (message.type) {
        case "prediction":
          this.result.value = {
            digit: message.digit,
            confident: message.confident,
            confidence: message.confidence,
            probabilities: message.probabilities,
            input: decodeInput(message.input),
            model: message.model,
            elapsedMs: message.elapsedMs,
            revision: sent.revision,
          };
          this.error.value = null;
          break;
        case "error":
          this.result.value = null;
          this.error.value = { ...message.error, revision: sent.revision };
          break;
        case "explanation":
          // answers to "explain" carry string ids: the classroom model's, never ours
          break;
      }
    }
    this.pump();
  }
}
