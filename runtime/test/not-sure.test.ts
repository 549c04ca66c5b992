// Proves "not sure" through the real runtime: the manifest's optional calibration is validated, its temperature and threshold decide digit null (the config threshold only without one), and old manifests stay valid.
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { validateManifest, type Calibration } from "../src/contracts/manifest.js";
import { applyTemperature } from "../src/predictor.js";
import { postJson, sevenStrokes, startTestApp } from "./helpers.js";

const DEFAULT_MODEL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../models/default");

/** A copy of the default package whose manifest has the given calibration (or none). */
async function packageWith(root: string, name: string, calibration: Calibration | undefined): Promise<string> {
  const dir = path.join(root, name);
  await mkdir(dir);
  await copyFile(path.join(DEFAULT_MODEL, "model.onnx"), path.join(dir, "model.onnx"));
  for (const file of ["golden.bin", "golden.json"]) await copyFile(path.join(DEFAULT_MODEL, file), path.join(dir, file)).catch(() => undefined);
  const manifest = JSON.parse(await readFile(path.join(DEFAULT_MODEL, "manifest.json"), "utf8")) as Record<string, unknown>;
  delete manifest.calibration;
  if (calibration !== undefined) manifest.calibration = calibration;
  await writeFile(path.join(dir, "manifest.json"), JSON.stringify(manifest));
  return dir;
}

interface Answer {
  digit: number | null;
  confident: boolean;
  confidence: number;
  probabilities: number[];
}

async function predict(url: string): Promise<Answer> {
  const { status, json } = await postJson(`${url}/api/predict`, { strokes: sevenStrokes(), width: 700, height: 500 });
  assert.equal(status, 200);
  return json as unknown as Answer;
}

describe("manifest calibration", () => {
  it("is optional, and a present one is checked with every problem named", async () => {
    const manifest = JSON.parse(await readFile(path.join(DEFAULT_MODEL, "manifest.json"), "utf8")) as Record<string, unknown>;
    delete manifest.calibration;
    assert.equal(validateManifest(manifest).calibration, undefined);
    assert.deepEqual(validateManifest({ ...manifest, calibration: { temperature: 1.5, threshold: 0.8 } }).calibration, { temperature: 1.5, threshold: 0.8 });
    assert.throws(
      () => validateManifest({ ...manifest, calibration: { temperature: 0, threshold: 1.5, method: 3 } }),
      (err: Error) =>
        /calibration\.temperature must be a positive number/.test(err.message) &&
        /calibration\.threshold must be a number in \[0, 1\]/.test(err.message) &&
        /calibration\.method must be a string/.test(err.message),
    );
    assert.throws(() => validateManifest({ ...manifest, calibration: "hot" }), /calibration must be an object/);
  });

  it("temperature scaling of probabilities equals softmax of logits / T", () => {
    const logits = [2, -1, 0.5, 3, 0, 0, -2, 1, 0.1, -0.3];
    const softmax = (v: number[], t: number): number[] => {
      const e = v.map((x) => Math.exp(x / t));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / s);
    };
    const scaled = applyTemperature(Float32Array.from(softmax(logits, 1)), 2.5);
    softmax(logits, 2.5).forEach((p, i) => assert.ok(Math.abs(p - scaled[i]!) < 1e-6, `class ${i}: ${p} vs ${scaled[i]}`));
  });
});

describe("not sure through the real runtime", () => {
  let root: string;
  let reference: Answer;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dk-notsure-"));
    const app = await startTestApp({ modelDir: await packageWith(root, "plain", undefined), confidenceThreshold: 0.5 });
    try {
      reference = await predict(app.url);
    } finally {
      await app.stop();
    }
    assert.equal(reference.digit, 7, "the uncalibrated model reads the test 7");
  });
  after(async () => rm(root, { recursive: true, force: true }));

  it("a manifest threshold above the answer's confidence gives digit null, whatever the config threshold", async () => {
    const threshold = Math.min(1, reference.confidence + 1e-4);
    const app = await startTestApp({ modelDir: await packageWith(root, "strict", { temperature: 1, threshold }), confidenceThreshold: 0 });
    try {
      const answer = await predict(app.url);
      assert.equal(answer.digit, null);
      assert.equal(answer.confident, false);
      assert.ok(Math.abs(answer.confidence - reference.confidence) < 1e-5, "T = 1 leaves the probabilities alone");
    } finally {
      await app.stop();
    }
  });

  it("the manifest's temperature reshapes the probabilities and its low threshold answers, overriding a strict config", async () => {
    const app = await startTestApp({ modelDir: await packageWith(root, "warm", { temperature: 3, threshold: 0.05 }), confidenceThreshold: 0.9999 });
    try {
      const answer = await predict(app.url);
      const expected = applyTemperature(Float32Array.from(reference.probabilities), 3);
      answer.probabilities.forEach((p, i) => assert.ok(Math.abs(p - expected[i]!) < 1e-4, `class ${i}: ${p} vs ${expected[i]}`));
      assert.ok(answer.confidence < reference.confidence, "a higher temperature lowers the top probability");
      assert.equal(answer.digit, 7);
      assert.equal(answer.confident, true);
    } finally {
      await app.stop();
    }
  });

  it("without calibration the config threshold decides", async () => {
    const app = await startTestApp({ modelDir: await packageWith(root, "plain2", undefined), confidenceThreshold: Math.min(1, reference.confidence + 1e-4) });
    try {
      assert.equal((await predict(app.url)).digit, null);
    } finally {
      await app.stop();
    }
  });
});
