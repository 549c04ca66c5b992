// Proves the report is one self-contained page (no scripts, no network references) whose SVG plots and PNG pictures are valid images, with every section, curves drawn from the manifest's history, and a clear note when there is none.
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import sharp from "sharp";
import { validateManifest } from "@digit-kiosk/runtime/contracts/manifest";
import { loadEmbeddedMnist } from "../src/data/mnist-embedded.js";
import { imageAugmentationGrid } from "../src/report/augmentation.js";
import { readHistory, type EpochRecord } from "../src/report/history.js";
import { writeReport, type ReportData } from "../src/report/report.js";
import { lineChart, niceTicks } from "../src/report/svg.js";

const PIXELS = 784;

function confusion(errors: number): number[][] {
  return Array.from({ length: 10 }, (_, r) => Array.from({ length: 10 }, (_, c) => (r === c ? 100 - errors : c === (r + 1) % 10 ? errors : 0)));
}

const history: EpochRecord[] = [
  { epoch: 1, loss: 0.9, accuracy: 0.8, valLoss: 0.5, valAccuracy: 0.9 },
  { epoch: 2, loss: 0.3, accuracy: 0.95, valLoss: 0.2, valAccuracy: 0.96 },
  { epoch: 3, loss: 0.1, accuracy: 0.98, valLoss: 0.15, valAccuracy: 0.97 },
];

async function reportData(withHistory: boolean): Promise<ReportData> {
  const training: Record<string, unknown> = withHistory ? { history } : {};
  const manifest = validateManifest({
    name: "test-model",
    version: "0.0.1-test",
    createdAt: new Date(0).toISOString(),
    sha256: "a".repeat(64),
    opset: 13,
    quantization: "int8-qdq",
    input: { name: "input", shape: [1, 1, 28, 28], layout: "NCHW", pixelScale: 1 / 255, mean: 0.1307, std: 0.3081 },
    output: { name: "logits", kind: "logits" },
    preprocessing: "mnist-com-v1",
    metrics: {},
    training,
    golden: { file: "golden.json", sha256: "b".repeat(64), count: 3 },
  });
  const digits = loadEmbeddedMnist("test");
  const latency = { runs: 100, medianMs: 0.03, p99Ms: 0.06, meanMs: 0.035, minMs: 0.02 };
  return {
    manifest,
    deployed: "int8",
    decision: "int8 is deployed <because> it loses nothing & is smaller.",
    fp32: { kind: "fp32", file: "model-fp32.onnx", sizeBytes: 40000, sha256: "c".repeat(64), mnistTest: { correct: 990, count: 1000, confusion: confusion(1) }, pendigits: { correct: 97, count: 100 }, latency, optimizedOps: { Gemm: 1 } },
    int8: { kind: "int8", file: "model.onnx", sizeBytes: 15000, sha256: "a".repeat(64), mnistTest: { correct: 989, count: 1000, confusion: confusion(2) }, pendigits: { correct: 96, count: 100 }, latency, optimizedOps: { "com.microsoft.QLinearConv": 4 } },
    methods: [
      { method: "minmax", selection: { correct: 95, count: 100, agreement: 0.99 }, test: { correct: 989, count: 1000 }, chosen: true },
      { method: "percentile 99.99", selection: { correct: 94, count: 100, agreement: 0.98 }, test: { correct: 988, count: 1000 }, chosen: false },
    ],
    calibration: { count: 1000, source: "MNIST training images", percentile: 99.99, selectionSet: "held-out digits" },
    fp32Nodes: [],
    pendigitsName: "pendigits-val",
    activations: [{ tensor: "input", min: -0.42, max: 2.82, scale: 0.0127, zeroPoint: -95 }],
    history: readHistory(training),
    mistakes: [0, 1].map((i) => ({ pixels: digits.images.slice(i * PIXELS, (i + 1) * PIXELS), label: digits.labels[i]!, predicted: (digits.labels[i]! + 1) % 10, confidence: 0.9, source: `#${i}` })),
    augmentation: await imageAugmentationGrid(digits, 3),
    golden: { images: digits.images.slice(0, 3 * PIXELS), labels: digits.labels.slice(0, 3), count: 3 },
    validation: { dir: "/x", ok: true, problems: [], manifest, golden: { total: 3, passed: 3, failures: [] }, accuracy: { set: "MNIST test", correct: 989, count: 1000, accuracy: 0.989, min: 0.98 }, latency: { ...latency, budgetMs: 20 } },
    command: "npm run package -- --model a --out b",
    machine: "test machine",
  };
}

async function written(withHistory: boolean): Promise<{ html: string; json: Record<string, unknown> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dk-report-"));
  const file = await writeReport(dir, await reportData(withHistory));
  assert.equal(file, path.join(dir, "index.html"));
  return { html: await readFile(file, "utf8"), json: JSON.parse(await readFile(path.join(dir, "report.json"), "utf8")) as Record<string, unknown> };
}

describe("model report", () => {
  it("is self-contained: no scripts, stylesheets, frames or network references", async () => {
    const { html } = await written(true);
    assert.doesNotMatch(html, /<script|<link|<iframe|@import|url\(/i);
    const urls = html.match(/(?:src|href)\s*=\s*"[^"]*"/gi) ?? [];
    assert.ok(urls.length > 0);
    for (const u of urls) assert.match(u, /^src="data:image\/png;base64,/, u);
    // the only http(s) text is the SVG namespace
    assert.deepEqual([...new Set(html.match(/https?:\/\/[^\s"'<>]+/g))], ["http://www.w3.org/2000/svg"]);
  });

  it("holds valid pictures: every inline SVG and every PNG decodes", async () => {
    const { html } = await written(true);
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    assert.equal(svgs.length, 4, "loss, accuracy, confusion matrix, per-class accuracy");
    for (const svg of svgs) {
      const meta = await sharp(Buffer.from(svg)).png().toBuffer({ resolveWithObject: true });
      assert.ok(meta.info.width > 100 && meta.info.height > 100);
    }
    const pngs = [...html.matchAll(/data:image\/png;base64,([A-Za-z0-9+/=]+)/g)].map((m) => Buffer.from(m[1]!, "base64"));
    assert.equal(pngs.length, 2 + 1 + 1, "two mistakes, the augmentation grid, the golden digits");
    for (const png of pngs) assert.equal((await sharp(png).metadata()).format, "png");
  });

  it("has every section, with the numbers, and escapes text", async () => {
    const { html, json } = await written(true);
    for (const needle of ["fp32 and int8 side by side", "Loss per epoch", "Accuracy per epoch", "Confusion matrix (int8)", "Per-class accuracy", "The worst mistakes", "Augmentation", "Quantization", "Golden digits", "Passed"]) {
      assert.ok(html.includes(needle), needle);
    }
    assert.ok(html.includes("99.00 %") && html.includes("98.90 %"), "fp32 and int8 accuracy");
    assert.ok(html.includes("15,000 bytes") && html.includes("37.5 % of fp32"), "sizes");
    assert.ok(html.includes("&lt;because&gt;") && !html.includes("<because>"));
    assert.equal(json.deployed, "int8");
  });

  it("says so when the manifest has no training history", async () => {
    const { html } = await written(false);
    assert.ok(html.includes("records no per-epoch history"));
    assert.ok(!html.includes("Loss per epoch"));
  });

  it("reads the history contract and refuses a malformed one", () => {
    assert.deepEqual(readHistory({ history }), history);
    assert.equal(readHistory({}), null);
    assert.throws(() => readHistory({ history: [{ epoch: 1, loss: "x", accuracy: 0.5 }] }), /history\[0\]/);
    assert.throws(() => readHistory({ history: "no" }), /must be an array/);
    // the train CLI's per-epoch validation metrics, when training.history is absent
    const fromMetrics = readHistory({}, { validation: [{ epoch: 1, trainLoss: 0.5, trainAccuracy: 0.9, "pendigits-val": 0.95, note: "x" }] });
    assert.deepEqual(fromMetrics, [{ epoch: 1, loss: 0.5, accuracy: 0.9, valAccuracies: { "pendigits-val": 0.95 } }]);
  });

  it("plots one marker per point and round ticks", () => {
    const svg = lineChart([{ name: "a", points: [[1, 1], [2, 3], [3, 2]] }, { name: "b", points: [[1, 2]] }], { title: "t", xLabel: "x", yLabel: "y" });
    assert.equal(svg.match(/<circle/g)?.length, 4);
    assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(97, 100), [97, 98, 99, 100]);
    assert.deepEqual(niceTicks(0, 0.09), [0, 0.02, 0.04, 0.06, 0.08]);
  });
});
