// Proves POST /api/feedback: with collectSamples on it stores the labelled drawing (PNG of the model's input + strokes JSON) under <samplesDir>/<label>/; with it off it stores nothing; bad bodies get one 400 naming every problem; the answers are counted for the operator.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { LIMITS, OPERATOR_PIN_HEADER, type FeedbackResponse, type OperatorStatus } from "../src/contracts/api.js";
import { renderStrokes } from "../src/preprocess/index.js";
import { defaultModel, postJson, sevenStrokes, startTestApp } from "./helpers.js";

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "dk-feedback-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const drawing = () => ({ strokes: sevenStrokes(), width: 800, height: 480 });

describe("collectSamples on", () => {
  let app: Awaited<ReturnType<typeof startTestApp>>;
  const samplesDir = () => path.join(root, "on");
  before(async () => {
    app = await startTestApp({ collectSamples: true, samplesDir: samplesDir(), operatorPin: "1111" });
  });
  after(async () => {
    await app.stop();
  });

  test("a confirmed answer and a corrected one are stored under the visitor's label", async () => {
    const right = await postJson(`${app.url}/api/feedback`, { ...drawing(), label: 7, predicted: 7 });
    assert.equal(right.status, 200, JSON.stringify(right.json));
    const r = right.json as unknown as FeedbackResponse;
    assert.equal(r.stored, true);
    assert.ok(r.id !== null);
    const wrong = await postJson(`${app.url}/api/feedback`, { ...drawing(), label: 1, predicted: null });
    assert.equal((wrong.json as unknown as FeedbackResponse).stored, true);

    const png = await readFile(path.join(samplesDir(), "7", `${r.id}.png`));
    const pixels = await sharp(png).extractChannel(0).raw().toBuffer();
    assert.deepEqual(new Uint8Array(pixels), renderStrokes(drawing().strokes, 800, 480), "the image the model sees for these strokes");
    const json = JSON.parse(await readFile(path.join(samplesDir(), "7", `${r.id}.json`), "utf8")) as { label: number; predicted: number; strokes: unknown; model: { name: string } };
    assert.deepEqual([json.label, json.predicted], [7, 7]);
    assert.deepEqual(json.strokes, drawing().strokes);
    assert.equal(json.model.name, defaultModel().name);
    assert.equal((await readdir(path.join(samplesDir(), "1"))).filter((n) => n.endsWith(".png")).length, 1);

    const status = (await (await fetch(`${app.url}/api/status`, { headers: { [OPERATOR_PIN_HEADER]: "1111" } })).json()) as OperatorStatus;
    assert.deepEqual(status.feedback, { right: 1, wrong: 1 });
    assert.equal(status.samples.count, 2);
  });

  test("bad bodies get one 400 naming every problem, and store nothing", async () => {
    const { status, json } = await postJson(`${app.url}/api/feedback`, { strokes: [[["a", 1]]], width: 800, height: 480, label: 10 });
    assert.equal(status, 400);
    const message = (json.error as { message: string }).message;
    for (const needle of ["strokes[0][0][0]", "label must be a digit 0-9, got 10", "predicted"]) assert.ok(message.includes(needle), message);
    assert.equal((await postJson(`${app.url}/api/feedback`, "{", "application/json")).status, 400);
    assert.equal((await postJson(`${app.url}/api/feedback`, { ...drawing(), label: 7, predicted: 7 }, "text/plain")).status, 415);
    const huge = { ...drawing(), label: 7, predicted: 7, pad: "x".repeat(LIMITS.maxBodyBytes) };
    const tooBig = await fetch(`${app.url}/api/feedback`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(huge) });
    assert.equal(tooBig.status, 413);
    assert.deepEqual((await readdir(samplesDir())).sort(), ["1", "7"], "no folder for the bad ones");
  });
});

describe("collectSamples off (the default)", () => {
  test("feedback is taken and counted, and nothing is written", async () => {
    const dir = path.join(root, "off");
    const app = await startTestApp({ samplesDir: dir });
    try {
      const { status, json } = await postJson(`${app.url}/api/feedback`, { ...drawing(), label: 7, predicted: 7 });
      assert.equal(status, 200);
      assert.deepEqual(json, { stored: false, id: null });
      await assert.rejects(readdir(dir), /ENOENT/);
    } finally {
      await app.stop();
    }
  });
});
