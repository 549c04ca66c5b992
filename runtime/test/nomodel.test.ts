// Proves the contract's 503 while no model is loaded: /healthz and predictions over HTTP and WS.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ModelStore } from "../src/model/store.js";
import { Predictor } from "../src/predictor.js";
import { HttpServer } from "../src/server/http.js";
import { TestSocket } from "./helpers.js";

test("without a model: /healthz and /api/predict answer 503, WS answers a no_model error", async () => {
  const models = new ModelStore("/nonexistent", { maxBatch: 1, maxQueue: 1 });
  const server = new HttpServer({ host: "127.0.0.1", port: 0, models, predictor: new Predictor(models, 0.5), staticFiles: new Map() });
  await server.start();
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 503);
    assert.equal(((await health.json()) as { error: { code: string } }).error.code, "no_model");
    const res = await fetch(`${base}/api/predict`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ strokes: [[[1, 1], [5, 5]]], width: 10, height: 10 }) });
    assert.equal(res.status, 503);
    const ws = await TestSocket.open(`ws://127.0.0.1:${server.port}/ws`);
    ws.send({ type: "predict", id: 9, strokes: [[[1, 1], [5, 5]]], width: 10, height: 10 });
    const msg = await ws.next();
    assert.equal(msg.type, "error");
    if (msg.type === "error") assert.equal(msg.error.code, "no_model");
    ws.close();
  } finally {
    await server.stop();
  }
});
