// Proves that what the runtime serves is right on real pen strokes: 500+ pendigits samples from all 30 writers, sent through POST /api/predict, score >= 97 % (the default measured 99 %; a plain MNIST model 95.5 %).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startApp } from "@digit-kiosk/runtime/app";
import type { Prediction } from "@digit-kiosk/runtime/contracts/api";
import { loadPendigits } from "../src/data/pendigits.js";

test("pendigits strokes through POST /api/predict score at least 97 %", async () => {
  const all = await loadPendigits();
  // Every 14th sample: a deterministic spread over every writer and digit.
  const sample = all.filter((_, i) => i % 14 === 0);
  assert.ok(sample.length >= 500, `sample of ${sample.length}`);
  assert.equal(new Set(sample.map((d) => d.writer)).size, 30);

  const staticDir = await mkdtemp(path.join(os.tmpdir(), "dk-empty-"));
  const app = await startApp({ host: "127.0.0.1", port: 0, staticDir });
  try {
    let correct = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < sample.length) {
        const d = sample[next++]!;
        const res = await fetch(`http://127.0.0.1:${app.port}/api/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ strokes: d.strokes, width: d.width, height: d.height }),
        });
        assert.equal(res.status, 200);
        const p = (await res.json()) as Prediction;
        if (p.digit === d.label) correct++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const accuracy = correct / sample.length;
    console.log(`pendigits via API: ${correct}/${sample.length} = ${(accuracy * 100).toFixed(2)} %`);
    assert.ok(accuracy >= 0.97, `accuracy ${(accuracy * 100).toFixed(2)} %`);
  } finally {
    await app.stop();
  }
});
