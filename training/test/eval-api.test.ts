// Proves the eval measures what is served: drawings and PNGs sent through POST /api/predict get the same answers as the offline evaluation of the same package, and the scoring counts "not sure" as wrong.
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import sharp from "sharp";
import { startApp } from "@digit-kiosk/runtime/app";
import { PIXELS } from "../src/data/dataset.js";
import { loadEmbeddedMnist } from "../src/data/mnist-embedded.js";
import { REPO_ROOT } from "../src/data/mnist-idx.js";
import { loadPendigits } from "../src/data/pendigits.js";
import { pendigitsSplit } from "../src/data/strokes.js";
import { drawingItem, evaluateApi, pngItem } from "../src/eval/api.js";
import { evaluateOffline } from "../src/eval/offline.js";
import { scoreAnswers } from "../src/eval/report.js";
import { loadNonDigits } from "../src/non-digits/store.js";
import { readPackage } from "@digit-kiosk/runtime/model/package";

const MODEL_DIR = path.join(REPO_ROOT, "runtime", "models", "default");

describe("eval through the API", () => {
  it("answers strokes and PNGs exactly like the offline evaluation of the served package", async () => {
    const drawings = [...pendigitsSplit(await loadPendigits(), "val").filter((_, i) => i % 15 === 0), ...(await loadNonDigits()).slice(0, 40)];
    const mnist = loadEmbeddedMnist("test");
    const { manifest, model } = await readPackage(MODEL_DIR);
    const staticDir = await mkdtemp(path.join(os.tmpdir(), "dk-eval-"));
    const app = await startApp({ host: "127.0.0.1", port: 0, staticDir, modelDir: MODEL_DIR });
    try {
      const url = `http://127.0.0.1:${app.port}`;
      const served = await evaluateApi(url, drawings.map(drawingItem), 4);
      const offline = await evaluateOffline(model, manifest, { name: "pendigits-val", digits: null, drawings });
      assert.equal(served.length, drawings.length);
      served.forEach((a, i) => {
        const b = offline[i]!;
        assert.equal(a.digit, b.digit, `drawing ${i} (${drawings[i]!.kind ?? drawings[i]!.label})`);
        assert.ok(Math.abs(a.confidence - b.confidence) < 1e-4, `drawing ${i}: confidence ${a.confidence} vs ${b.confidence}`);
      });
      // PNG route: white-on-black MNIST digits as the eval sends them; the server re-prepares them, so compare the answers
      const items = await Promise.all(
        Array.from({ length: 30 }, async (_, i) =>
          pngItem(mnist.labels[i]!, new Uint8Array(await sharp(Buffer.from(mnist.images.subarray(i * PIXELS, (i + 1) * PIXELS)), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer())),
        ),
      );
      const pngAnswers = await evaluateApi(url, items, 2);
      const right = pngAnswers.filter((a) => a.digit === a.label).length;
      assert.ok(right >= 28, `${right}/30 MNIST PNGs right through image/png`);
    } finally {
      await app.stop();
    }
  });

  it("scores null as wrong for digits and as right for non-digits, with a null column in the confusion matrix", () => {
    const digits = scoreAnswers("d", "test", [
      { label: 3, digit: 3, top: 3, confidence: 0.9 },
      { label: 3, digit: null, top: 3, confidence: 0.3 },
      { label: 5, digit: 6, top: 6, confidence: 0.8 },
      { label: 5, digit: 5, top: 5, confidence: 0.99 },
    ]);
    assert.equal(digits.accuracy, 0.5);
    assert.equal(digits.answeredShare, 0.75);
    assert.equal(digits.topAccuracy, 0.75);
    assert.equal(digits.confusion![3]![10], 1);
    assert.equal(digits.confusion![5]![6], 1);
    assert.deepEqual(digits.perClass!.filter((c) => c.count > 0).map((c) => [c.digit, c.accuracy]), [[3, 0.5], [5, 0.5]]);
    const non = scoreAnswers("n", "test", [
      { label: 10, digit: null, top: 1, confidence: 0.2, kind: "scribble" },
      { label: 10, digit: 4, top: 4, confidence: 0.9, kind: "symbol:A" },
    ]);
    assert.equal(non.accuracy, 0.5);
    assert.deepEqual(non.perKind, { scribble: { count: 1, nullShare: 1 }, symbol: { count: 1, nullShare: 0 } });
  });
});
