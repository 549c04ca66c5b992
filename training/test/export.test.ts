// Proves a briefly trained TinyVGG exported to ONNX gives TF.js's logits in onnxruntime (1e-4), and the package writer's manifest is valid and matches its model.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import onnxProto from "onnx-proto";
import { ManifestError, MANIFEST_FILE, MODEL_FILE, validateManifest } from "@digit-kiosk/runtime/contracts/manifest";
import { PREPROCESSING_ID } from "@digit-kiosk/runtime/preprocess/index";
import { initBackend } from "../src/backend.js";
import { takeFirst, type DigitSet } from "../src/data/dataset.js";
import { loadEmbeddedMnist } from "../src/data/mnist-embedded.js";
import { hasMnist, loadMnistIdx } from "../src/data/mnist-idx.js";
import { argmaxRows, onnxLogits, openSession, score } from "../src/evaluate.js";
import { ONNX_INPUT_NAME, ONNX_OPSET, ONNX_OUTPUT_NAME, permuteDenseRowsNhwcToNchw, tinyVggToOnnx } from "../src/export/onnx.js";
import { MNIST_NORMALIZATION } from "../src/normalization.js";
import { readPackage } from "@digit-kiosk/runtime/model/package";
import { sha256Hex, writeModelPackage, type PackageInput } from "../src/package.js";
import { servedLogits } from "../src/model.js";
import { NOT_A_DIGIT } from "../src/data/strokes.js";
import { DEFAULT_TRAIN_CONFIG, targetsInto, tfjsLogits, trainTinyVgg, validationScore } from "../src/train.js";

const PARITY_IMAGES = 512;
const run = { inputName: ONNX_INPUT_NAME, outputName: ONNX_OUTPUT_NAME, normalization: MNIST_NORMALIZATION };

describe("ONNX export", () => {
  let model: tf.Sequential;
  let onnx: Uint8Array;
  let test: DigitSet;

  before(async () => {
    await initBackend("wasm");
    // MNIST test images when available; the embedded held-out digits (also MNIST) otherwise
    test = hasMnist(undefined, "test") ? takeFirst(await loadMnistIdx("test"), PARITY_IMAGES) : loadEmbeddedMnist("test");
    const train = takeFirst(loadEmbeddedMnist("train"), 3072);
    const result = await trainTinyVgg(train, { ...DEFAULT_TRAIN_CONFIG, width: 6, epochs: 2, batchSize: 32, augment: false, seed: 11 });
    model = result.model;
    onnx = tinyVggToOnnx(model, { name: "parity-test" });
  });

  after(() => model.dispose());

  it(`onnxruntime logits equal TF.js logits within 1e-4 on ${PARITY_IMAGES} MNIST images`, async () => {
    const count = Math.min(PARITY_IMAGES, test.count);
    assert.ok(count >= 256);
    const session = await openSession(onnx);
    const ort = await onnxLogits(session, test, run, count);
    await session.release();
    const tfl = tfjsLogits(model, test, count, MNIST_NORMALIZATION);
    let maxDiff = 0;
    let maxLogit = 0;
    for (let i = 0; i < ort.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(ort[i]! - tfl[i]!));
      maxLogit = Math.max(maxLogit, Math.abs(tfl[i]!));
    }
    assert.ok(maxDiff <= 1e-4, `max |onnx - tfjs| = ${maxDiff}`);
    assert.ok(maxLogit > 1, `logits should not be near zero (max ${maxLogit})`);
    // trained, so the comparison is between meaningful models
    const accuracy = score(argmaxRows(ort), test.labels.subarray(0, count)).accuracy;
    assert.ok(accuracy > 0.5, `accuracy after a short training ${accuracy} (chance is 0.1)`);
  });

  it("declares opset 13, ir 8, input [batch,1,28,28] with a symbolic batch and output logits [batch,10]", async () => {
    const decoded = onnxProto.onnx.ModelProto.decode(onnx);
    assert.equal(Number(decoded.irVersion), 8);
    assert.deepEqual(decoded.opsetImport.map((o) => [o.domain, Number(o.version)]), [["", ONNX_OPSET]]);
    const dims = (v: onnxProto.onnx.IValueInfoProto | undefined): (string | number)[] =>
      (v?.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
    assert.equal(decoded.graph?.input?.[0]?.name, "input");
    assert.deepEqual(dims(decoded.graph?.input?.[0]), ["batch", 1, 28, 28]);
    assert.equal(decoded.graph?.output?.[0]?.name, "logits");
    assert.deepEqual(dims(decoded.graph?.output?.[0]), ["batch", 10]);
    assert.deepEqual(
      decoded.graph?.node?.map((n) => n.opType),
      ["Conv", "Relu", "Conv", "Relu", "MaxPool", "Conv", "Relu", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Slice", "Slice", "ReduceLogSumExp", "Sub", "Sigmoid", "Mul"],
    );
    // the batch really is free: 1 and 3 images
    const session = await openSession(onnx);
    for (const n of [1, 3]) {
      const logits = await onnxLogits(session, test, { ...run, batchSize: n }, n);
      assert.equal(logits.length, n * 10);
    }
    await session.release();
  });

  it("permutes dense rows from TF's [h][w][c] flatten order to ONNX's [c][h][w]", () => {
    const [h, w, c, units] = [2, 2, 3, 2];
    // row r of the TF kernel holds [r, -r]
    const tfKernel = Float32Array.from({ length: h * w * c * units }, (_, i) => (i % 2 === 0 ? 1 : -1) * Math.floor(i / 2));
    const out = permuteDenseRowsNhwcToNchw(tfKernel, h, w, c, units);
    // ONNX row for channel 1, y 0, x 1 is 1*4 + 0*2 + 1 = 5; its TF row is (0*2 + 1)*3 + 1 = 4
    assert.deepEqual([out[5 * 2], out[5 * 2 + 1]], [4, -4]);
    const rows = Array.from({ length: h * w * c }, (_, r) => out[r * units]);
    assert.deepEqual(rows, [0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]);
  });

  it("trains digits on their own unit and non-digits on the head's eleventh", () => {
    const targets = new Float32Array(3 * 11).fill(7);
    targetsInto(targets, [3, NOT_A_DIGIT, 0], 3);
    const rows = [0, 1, 2].map((r) => Array.from(targets.subarray(r * 11, (r + 1) * 11)));
    assert.deepEqual(rows.map((row) => row.indexOf(1)), [3, 10, 0]);
    assert.ok(rows.every((row) => row.reduce((a, b) => a + b, 0) === 1));
    assert.throws(() => targetsInto(targets, [11], 1), /bad training label 11/);
  });

  it("serves the head's digit logits scaled by p(digit): unchanged order, flat when the head says not a digit", () => {
    const digitHead = [0, 1, 6, 2, 0, 0, 0, 0, 0, 0, -4]; // a clear 2, not-a-digit low
    const rejectHead = [0, 1, 3, 2, 0, 0, 0, 0, 0, 0, 9]; // digit logits as before, not-a-digit high
    const served = servedLogits(tf.tensor2d([digitHead, rejectHead])).arraySync();
    const top = (row: number[]): number => row.indexOf(Math.max(...row));
    assert.equal(top(served[0]!), 2);
    assert.equal(top(served[1]!), 2, "a positive factor keeps the order");
    assert.ok(Math.abs(served[0]![2]! - 6) < 0.01, `a confident digit keeps its logits: ${served[0]![2]}`);
    const spread = (row: number[]): number => Math.max(...row) - Math.min(...row);
    assert.ok(spread(served[1]!) < 0.05, `not-a-digit flattens the answer: spread ${spread(served[1]!)}`);
    assert.throws(() => servedLogits(tf.zeros([1, 10])), /11/);
  });

  it("picks the best epoch by digit accuracy once enough non-digits are answered null", () => {
    // more non-digits caught does not outweigh digits once the floor is met
    assert.ok(validationScore([0.991, 0.9914], 0.965, 0.9) > validationScore([0.9886, 0.9892], 0.99, 0.9));
    assert.equal(validationScore([0.98, 0.99], 0.95, 0.9), 0.985);
    // below the floor an epoch ranks under every epoch above it, however good its digits
    assert.ok(validationScore([0.999, 0.999], 0.85, 0.9) < validationScore([0.95, 0.95], 0.9, 0.9));
    assert.equal(validationScore([0.97], null, 0.9), 0.97);
    assert.throws(() => validationScore([], 0.95, 0.9), /no digit validation set/);
  });

  describe("model package", () => {
    let dir: string;
    const input = (): PackageInput => ({
      name: "tinyvgg-mnist",
      version: "0.0.0-test",
      onnx,
      opset: ONNX_OPSET,
      inputName: ONNX_INPUT_NAME,
      outputName: ONNX_OUTPUT_NAME,
      normalization: MNIST_NORMALIZATION,
      metrics: { mnistTestAccuracy: 0.5, mnistTestCount: 512 },
      training: { command: "test", epochs: 1 },
    });

    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), "pkg-"));
    });
    after(async () => rm(dir, { recursive: true, force: true }));

    it("writes model.onnx and a manifest that validates and carries the model's sha256", async () => {
      const out = path.join(dir, "nested", "pkg");
      const written = await writeModelPackage(out, input());
      assert.deepEqual((await readdir(out)).sort(), [MANIFEST_FILE, MODEL_FILE].sort(), "no temp files left behind");
      const manifest = validateManifest(JSON.parse(await readFile(path.join(out, MANIFEST_FILE), "utf8")) as unknown);
      assert.deepEqual(manifest, written);
      const bytes = await readFile(path.join(out, MODEL_FILE));
      assert.ok(bytes.equals(Buffer.from(onnx)));
      assert.equal(manifest.sha256, sha256Hex(bytes));
      assert.match(manifest.sha256, /^[0-9a-f]{64}$/);
      assert.equal(manifest.quantization, "none");
      assert.equal(manifest.opset, 13);
      assert.equal(manifest.preprocessing, PREPROCESSING_ID);
      assert.deepEqual(manifest.input, {
        name: "input",
        shape: [1, 1, 28, 28],
        layout: "NCHW",
        pixelScale: MNIST_NORMALIZATION.pixelScale,
        mean: MNIST_NORMALIZATION.mean,
        std: MNIST_NORMALIZATION.std,
      });
      assert.deepEqual(manifest.output, { name: "logits", kind: "logits" });
      const reread = await readPackage(out);
      assert.equal(reread.manifest.sha256, manifest.sha256);
    });

    it("overwrites an existing package in place", async () => {
      const out = path.join(dir, "again");
      await writeModelPackage(out, { ...input(), version: "1" });
      const second = await writeModelPackage(out, { ...input(), version: "2" });
      assert.equal((await readPackage(out)).manifest.version, "2");
      assert.equal(second.version, "2");
    });

    it("refuses an invalid manifest before writing anything", async () => {
      const out = path.join(dir, "invalid");
      await assert.rejects(writeModelPackage(out, { ...input(), name: "", opset: 11 }), (err: unknown) => {
        assert.ok(err instanceof ManifestError);
        assert.ok(err.problems.some((p) => p.startsWith("name")));
        assert.ok(err.problems.some((p) => p.startsWith("opset")));
        return true;
      });
      await assert.rejects(readdir(out), { code: "ENOENT" });
    });

    it("reading rejects a package whose model does not match its manifest", async () => {
      const out = path.join(dir, "tampered");
      await writeModelPackage(out, input());
      await writeFile(path.join(out, MODEL_FILE), Buffer.concat([Buffer.from(onnx), Buffer.from([0])]));
      await assert.rejects(readPackage(out), /sha256/);
    });
  });
});
