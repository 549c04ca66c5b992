// "Was I right?": after a settled answer the visitor confirms it or picks the right digit; the drawing goes
// to POST /api/feedback, which stores it only when the config's collectSamples is on.
import { computed, signal } from "@preact/signals";
import type { FeedbackRequest } from "@digit-kiosk/runtime/contracts/api";
import type { DrawingModel } from "./drawing.js";
import type { PredictionModel } from "./prediction.js";
import type { Fetch } from "./settings.js";

export type FeedbackPhase = "hidden" | "ask" | "sending" | "thanks" | "failed";

interface Answered {
  revision: number;
  stored: boolean;
}

const isFeedbackResponse = (v: unknown): v is { stored: boolean } =>
  typeof v === "object" && v !== null && typeof (v as Record<string, unknown>).stored === "boolean";

export class FeedbackModel {
  /** True while the digit picker is open. */
  readonly picking = signal(false);
  private readonly answered = signal<Answered | null>(null);
  private readonly sending = signal<number | null>(null);
  private readonly failed = signal<number | null>(null);

  readonly phase = computed<FeedbackPhase>(() => {
    const revision = this.drawing.revision.value;
    if (this.answered.value?.revision === revision) return "thanks";
    if (this.sending.value === revision) return "sending";
    if (this.failed.value === revision) return "failed";
    return this.prediction.settled.value && this.prediction.result.value !== null ? "ask" : "hidden";
  });
  /** True when the last answer was stored as a sample. */
  readonly stored = computed(() => this.answered.value?.stored === true);

  private cleanups: Array<() => void> = [];

  constructor(
    private readonly drawing: DrawingModel,
    private readonly prediction: PredictionModel,
    private readonly fetcher: Fetch = (input, init) => fetch(input, init),
  ) {}

  start(): void {
    this.cleanups.push(
      this.drawing.revision.subscribe(() => {
        this.picking.value = false;
      }),
    );
  }

  stop(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }

  /** The tick: the answer was right. */
  confirm(): void {
    const digit = this.prediction.result.value?.digit;
    if (digit === null || digit === undefined) this.picking.value = true;
    else void this.send(digit);
  }

  /** Opens (or closes) the digit picker: the answer was wrong, or there was none. */
  pick(open = true): void {
    this.picking.value = open;
  }

  /** The visitor tapped the digit they drew. */
  choose(label: number): void {
    this.picking.value = false;
    void this.send(label);
  }

  private async send(label: number): Promise<void> {
    const revision = this.drawing.revision.value;
    const result = this.prediction.result.value;
    if (result === null || this.sending.value === revision) return;
    const { width, height } = this.drawing.surface;
    const body: FeedbackRequest = { strokes: this.drawing.strokes.map((s) => s.slice()), width, height, label, predicted: result.digit };
    this.sending.value = revision;
    this.failed.value = null;
    try {
      const res = await this.fetcher("/api/feedback", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const json: unknown = await res.json();
      if (!res.ok || !isFeedbackResponse(json)) throw new Error(`feedback answered ${res.status}`);
      if (this.drawing.revision.value === revision) this.answered.value = { revision, stored: json.stored };
    } catch {
      if (this.drawing.revision.value === revision) this.failed.value = revision;
    } finally {
      if (this.sending.value === revision) this.sending.value = null;
    }
  }
}
