// Proves the kiosk's state models without a browser: idle auto-clear then attract (ended by a touch, never while drawing), classroom explanations one in flight with stale ones dropped, and "Was I right?" sending the drawing with the visitor's label.
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { signal } from "@preact/signals";
import type { KioskConfig, WsAnyServerMessage, WsClientMessage } from "@digit-kiosk/runtime/contracts/api";
import type { ConnectionStatus } from "../src/state/connection.js";
import { DrawingModel } from "../src/state/drawing.js";
import { ExplainModel } from "../src/state/explain.js";
import { FeedbackModel } from "../src/state/feedback.js";
import { IdleModel } from "../src/state/idle.js";
import { PredictionModel, type PredictionLink } from "../src/state/prediction.js";
import { DEFAULT_KIOSK_CONFIG } from "../src/state/settings.js";

class FakeLink implements PredictionLink {
  readonly status = signal<ConnectionStatus>("connected");
  readonly opens = signal(1);
  readonly sent: WsClientMessage[] = [];
  private readonly listeners = new Set<(m: WsAnyServerMessage) => void>();

  send(message: WsClientMessage): boolean {
    this.sent.push(structuredClone(message));
    return true;
  }

  onMessage(listener: (m: WsAnyServerMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  restart(): void {}

  emit(message: WsAnyServerMessage): void {
    for (const l of this.listeners) l(message);
  }

  sentOf(type: WsClientMessage["type"]): WsClientMessage[] {
    return this.sent.filter((m) => m.type === type);
  }

  predict(id: unknown, digit: number | null): void {
    this.emit({
      type: "prediction",
      id,
      digit,
      confidence: 0.9,
      confident: digit !== null,
      probabilities: Array.from({ length: 10 }, (_, i) => (i === digit ? 0.9 : 0.01)),
      model: { name: "m", version: "1" },
      elapsedMs: 1,
      input: Buffer.alloc(784, 9).toString("base64"),
    });
  }

  explain(id: unknown): void {
    this.emit({
      type: "explanation",
      id,
      model: { name: "m", version: "1" },
      input: Buffer.alloc(784, 9).toString("base64"),
      layers: [{ name: "conv1.relu", kind: "conv", relu: true, channels: 2, height: 3, width: 3, min: 0, max: 1, data: Buffer.alloc(18, 200).toString("base64") }],
      probabilities: Array.from({ length: 10 }, () => 0.1),
      elapsedMs: 1,
    });
  }
}

const at = (x: number, y: number, timeStamp = 0) => ({ x, y, timeStamp });

function scribble(drawing: DrawingModel): void {
  drawing.beginStroke(at(10, 10));
  drawing.extendStroke([at(50, 50)]);
  drawing.endStroke();
}

describe("IdleModel", () => {
  it("clears a forgotten drawing, later starts the attract mode, and the next touch ends it", () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      let now = 0;
      const drawing = new DrawingModel();
      drawing.setSurface(400, 400);
      const config = signal<KioskConfig>({ ...DEFAULT_KIOSK_CONFIG, clearAfterSeconds: 10, attractAfterSeconds: 30 });
      const idle = new IdleModel(drawing, config, { now: () => now });
      const target = new EventTarget();
      idle.start(target as unknown as Window);
      let attracted = 0;
      idle.onAttract(() => attracted++);
      scribble(drawing);

      now = 9_000;
      mock.timers.tick(9_000);
      assert.equal(drawing.isEmpty.value, false, "not yet");
      now = 10_000;
      mock.timers.tick(1_000);
      assert.equal(drawing.isEmpty.value, true, "cleared after clearAfterSeconds");
      assert.equal(idle.attract.value, false);
      now = 30_000;
      mock.timers.tick(20_000);
      assert.equal(idle.attract.value, true, "attract after attractAfterSeconds");
      assert.equal(attracted, 1);

      target.dispatchEvent(new Event("pointerdown"));
      assert.equal(idle.attract.value, false, "the first touch ends it at once");
      idle.stop();
    } finally {
      mock.timers.reset();
    }
  });

  it("never interrupts a finger that is down, and 0 turns a timer off", () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      let now = 0;
      const drawing = new DrawingModel();
      drawing.setSurface(400, 400);
      const config = signal<KioskConfig>({ ...DEFAULT_KIOSK_CONFIG, clearAfterSeconds: 5, attractAfterSeconds: 0 });
      const idle = new IdleModel(drawing, config, { now: () => now });
      idle.start(new EventTarget() as unknown as Window);
      drawing.beginStroke(at(10, 10)); // held still, never lifted
      now = 60_000;
      mock.timers.tick(60_000);
      assert.equal(drawing.isEmpty.value, false, "a held finger is not idle");
      drawing.endStroke();
      now = 120_000;
      mock.timers.tick(60_000);
      assert.equal(drawing.isEmpty.value, true);
      assert.equal(idle.attract.value, false, "attractAfterSeconds 0: never");
      idle.stop();
    } finally {
      mock.timers.reset();
    }
  });
});

describe("ExplainModel", () => {
  it("asks only in classroom mode, one request in flight, the newest drawing wins, answers to a cleared drawing are dropped", () => {
    const drawing = new DrawingModel();
    drawing.setSurface(400, 400);
    const link = new FakeLink();
    const explain = new ExplainModel(drawing, link);
    explain.start();
    scribble(drawing);
    assert.equal(link.sentOf("explain").length, 0, "off: nothing asked");
    explain.toggle();
    assert.equal(link.sentOf("explain").length, 1);
    drawing.beginStroke(at(60, 60));
    drawing.extendStroke([at(80, 90)]);
    assert.equal(link.sentOf("explain").length, 1, "no second request while one is in flight");
    link.explain(link.sentOf("explain")[0]?.id);
    assert.equal(explain.result.value?.layers[0]?.maps.length, 18);
    assert.equal(link.sentOf("explain").length, 2, "then exactly one for the newest drawing");
    drawing.clear();
    link.explain(link.sentOf("explain")[1]?.id);
    assert.equal(explain.result.value, null, "an answer to a cleared drawing is not shown");
    assert.equal(explain.shapes.value.length, 1, "the network's shape stays for the empty view");
    explain.stop();
  });
});

describe("FeedbackModel", () => {
  it("asks after a settled answer, sends the drawing with the label, then thanks; a new stroke asks again", async () => {
    const drawing = new DrawingModel();
    drawing.setSurface(400, 400);
    const link = new FakeLink();
    const prediction = new PredictionModel(drawing, link);
    const posted: Array<{ url: string; body: unknown }> = [];
    const fetcher = async (url: string, init?: RequestInit) => {
      posted.push({ url, body: JSON.parse(String(init?.body)) });
      return new Response(JSON.stringify({ stored: true, id: "x" }), { status: 200 });
    };
    const feedback = new FeedbackModel(drawing, prediction, fetcher);
    prediction.start();
    feedback.start();
    assert.equal(feedback.phase.value, "hidden");
    scribble(drawing);
    link.predict(link.sentOf("predict")[0]?.id, 4);
    link.predict(link.sentOf("predict")[1]?.id, 4);
    assert.equal(feedback.phase.value, "ask");

    feedback.pick();
    assert.equal(feedback.picking.value, true);
    feedback.choose(9);
    assert.equal(feedback.phase.value, "sending");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(feedback.phase.value, "thanks");
    assert.equal(feedback.stored.value, true);
    assert.equal(posted[0]?.url, "/api/feedback");
    const body = posted[0]?.body as { label: number; predicted: number; strokes: unknown[]; width: number };
    assert.deepEqual([body.label, body.predicted, body.width, body.strokes.length], [9, 4, 400, 1]);

    drawing.beginStroke(at(5, 5));
    assert.equal(feedback.phase.value, "hidden", "a changed drawing is a new question");
    feedback.stop();
    prediction.stop();
  });
});
