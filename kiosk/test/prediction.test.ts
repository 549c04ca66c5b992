// Proves the streaming policy: one request in flight, the newest drawing wins, no queue, stale answers ignored, resend after reconnect.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { signal } from "@preact/signals";
import type { WsPredictMessage, WsServerMessage } from "@digit-kiosk/runtime/contracts/api";
import type { ConnectionStatus } from "../src/state/connection.js";
import { DrawingModel } from "../src/state/drawing.js";
import { PredictionModel, type PredictionLink } from "../src/state/prediction.js";

class FakeLink implements PredictionLink {
  readonly status = signal<ConnectionStatus>("connected");
  readonly opens = signal(1);
  readonly sent: WsPredictMessage[] = [];
  restarts = 0;
  private listener: ((m: WsServerMessage) => void) | null = null;

  send(message: WsPredictMessage): boolean {
    if (this.status.value !== "connected") return false;
    this.sent.push(structuredClone(message));
    return true;
  }

  onMessage(listener: (m: WsServerMessage) => void): () => void {
    this.listener = listener;
    return () => {
      this.listener = null;
    };
  }

  restart(): void {
    this.restarts += 1;
  }

  answer(id: unknown, digit: number | null = 3): void {
    const probabilities = Array.from({ length: 10 }, (_, i) => (i === digit ? 0.91 : 0.01));
    this.listener?.({
      type: "prediction",
      id,
      digit,
      confidence: 0.91,
      confident: digit !== null,
      probabilities,
      model: { name: "m", version: "1" },
      elapsedMs: 1,
      input: Buffer.alloc(784, 7).toString("base64"),
    });
  }
}

function setup() {
  const drawing = new DrawingModel();
  drawing.setSurface(400, 400);
  const link = new FakeLink();
  const prediction = new PredictionModel(drawing, link);
  prediction.start();
  return { drawing, link, prediction };
}

/** Reads the shown answer afresh (assert.equal narrows a property it has seen to its expected type). */
const shownDigit = (prediction: PredictionModel): number | null | undefined => prediction.result.value?.digit;

const at = (x: number, y: number, timeStamp = 0) => ({ x, y, timeStamp });

describe("PredictionModel", () => {
  it("keeps one request in flight and sends only the newest drawing when the answer comes", () => {
    const { drawing, link, prediction } = setup();
    drawing.beginStroke(at(10, 10, 100));
    assert.equal(link.sent.length, 1);
    drawing.extendStroke([at(20, 20, 110)]);
    drawing.extendStroke([at(30, 30, 120)]);
    drawing.extendStroke([at(40, 40, 130)]);
    assert.equal(link.sent.length, 1, "no second request while one is in flight");
    assert.equal(prediction.pending.value, true);

    link.answer(link.sent[0]?.id);
    assert.equal(link.sent.length, 2, "the answer releases exactly one new request");
    assert.deepEqual(link.sent[1]?.strokes, [[[10, 10, 0], [20, 20, 10], [30, 30, 20], [40, 40, 30]]]);
    assert.equal(link.sent[1]?.width, 400);
    assert.equal(prediction.result.value?.digit, 3);
    assert.equal(prediction.result.value?.input?.length, 784);

    drawing.endStroke();
    link.answer(link.sent[1]?.id, 7);
    assert.equal(link.sent.length, 2, "nothing changed since: nothing more to send");
    assert.equal(prediction.result.value?.digit, 7);
    assert.equal(prediction.settled.value, true);
    prediction.stop();
  });

  it("ignores answers to a drawing that was cleared, then sends the new drawing", () => {
    const { drawing, link, prediction } = setup();
    drawing.beginStroke(at(10, 10));
    drawing.endStroke();
    drawing.clear();
    drawing.beginStroke(at(50, 50));
    assert.equal(link.sent.length, 1, "still one in flight after clear");
    link.answer(link.sent[0]?.id, 1);
    assert.equal(shownDigit(prediction), undefined, "the stale answer is not shown");
    assert.equal(link.sent.length, 2);
    assert.deepEqual(link.sent[1]?.strokes, [[[50, 50, 0]]]);
    link.answer(link.sent[1]?.id, 5);
    assert.equal(shownDigit(prediction), 5);
    prediction.stop();
  });

  it("shows not-sure answers and ignores unknown ids", () => {
    const { drawing, link, prediction } = setup();
    drawing.beginStroke(at(10, 10));
    link.answer(999, 4);
    assert.equal(shownDigit(prediction), undefined);
    link.answer(link.sent[0]?.id, null);
    assert.equal(shownDigit(prediction), null);
    prediction.stop();
  });

  it("resends the drawing after a lost connection comes back", () => {
    const { drawing, link, prediction } = setup();
    drawing.beginStroke(at(10, 10));
    link.status.value = "reconnecting";
    assert.equal(prediction.pending.value, false, "the lost request no longer blocks");
    drawing.extendStroke([at(12, 12)]);
    assert.equal(link.sent.length, 1, "nothing is sent while disconnected");
    link.status.value = "connected";
    link.opens.value += 1;
    assert.equal(link.sent.length, 2);
    assert.deepEqual(link.sent[1]?.strokes, [[[10, 10, 0], [12, 12, 0]]]);
    prediction.stop();
  });
});
