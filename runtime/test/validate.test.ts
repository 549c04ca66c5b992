// Proves the package validator passes a good package and refuses corrupt, mislabelled (sha256), below-threshold, golden-failing and golden-less packages, naming every problem at once.
import assert from "node:assert/strict";
import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import * as ort from "onnxruntime-node";
import type { Stroke } from "../src/contracts/api.js";
import { DEFAULT_CONFIG } from "../src/config.js";
import { encodeGolden, GOLDEN_FILE, parseGolden, type GoldenItem } from "../src/model/golden.js";
import { sha256Hex } from "../src/model/package.js";
import { validatePackage, type EvalSet } from "../src/model/validate.js";
import { renderStrokes } from "../src/preprocess/index.js";
import { sevenStrokes } from "./helpers.js";

const defaultDir = DEFAULT_CONFIG.modelDir;

/** A few drawn shapes, rendered by the runtime's own preprocessing. */
function drawings(): Stroke[][] {
  const line = (pts: [number, number][]): Stroke => pts.map(([x, y]) => [x, y] as [number, number]);
  const ellipse = (cx: number, cy: number, rx: number, ry: number): Stroke =>
    Array.from({ length: 41 }, (_, i) => [cx + rx * Math.sin((i / 40) * 2 * Math.PI), cy - ry * Math.cos((i / 40) * 2 * Math.PI)] as [number, number]);
  return [
    sevenStrokes(),
    sevenStrokes(100, 100, 200),
    [line([[300, 50], [300, 350]])],
    [line([[200, 60], [210, 340]])],
    [ellipse(300, 200, 90, 140)],
    [ellipse(250, 220, 70, 120)],
    [line([[150, 100], [150, 220], [300, 220]]), line([[260, 80], [260, 360]])],
    [line([[120, 80], [300, 80], [300, 200], [120, 200], [120, 320], [300, 320]])],
  ];
}

interface Fixture {
  dir: string;
  items: GoldenItem[];
}

/** A copy of the default model as a package whose golden digits are the drawings, labelled with the model's own answers. */
async function goodPackage(): Promise<Fixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dk-validate-"));
  await copyFile(path.join(defaultDir, "model.onnx"), path.join(dir, "model.onnx"));
  const manifest = JSON.parse(await readFile(path.join(defaultDir, "manifest.json"), "utf8")) as Record<string, unknown> & {
    input: { name: string; pixelScale: number; mean: number; std: number };
    output: { name: string };
  };
  const session = await ort.InferenceSession.create(path.join(dir, "model.onnx"));
  const items: GoldenItem[] = [];
  for (const [k, strokes] of drawings().entries()) {
    const pixels = renderStrokes(strokes, 600, 400);
    const x = Float32Array.from(pixels, (p) => (p * manifest.input.pixelScale - manifest.input.mean) / manifest.input.std);
    const out = (await session.run({ [manifest.input.name]: new ort.Tensor("float32", x, [1, 1, 28, 28]) }))[manifest.output.name]!.data as Float32Array;
    const label = out.indexOf(Math.max(...out));
    items.push({ label, source: `drawing ${k}`, pixels });
  }
  await session.release();
  await writeGolden(dir, items, manifest);
  return { dir, items };
}

async function writeGolden(dir: string, items: GoldenItem[], manifest?: Record<string, unknown>): Promise<void> {
  const text = encodeGolden(items);
  await writeFile(path.join(dir, GOLDEN_FILE), text);
  const m = manifest ?? (JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as Record<string, unknown>);
  m.golden = { file: GOLDEN_FILE, sha256: sha256Hex(Buffer.from(text)), count: items.length };
  await writeFile(path.join(dir, "manifest.json"), JSON.stringify(m));
}

async function editManifest(dir: string, change: (m: Record<string, unknown>) => void): Promise<void> {
  const m = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as Record<string, unknown>;
  change(m);
  await writeFile(path.join(dir, "manifest.json"), JSON.stringify(m));
}

function evalSetOf(items: GoldenItem[], relabel = (l: number): number => l): EvalSet {
  const images = new Uint8Array(items.length * 784);
  items.forEach((it, i) => images.set(it.pixels, i * 784));
  return { name: "drawings", images, labels: Uint8Array.from(items, (it) => relabel(it.label)), count: items.length };
}

describe("validatePackage", () => {
  let fixture: Fixture;
  before(async () => {
    fixture = await goodPackage();
  });

  it("passes a good package: golden digits, accuracy and latency measured", async () => {
    const report = await validatePackage(fixture.dir, { evalSet: evalSetOf(fixture.items), minAccuracy: 1, latencyBudgetMs: 1e6, latencyRuns: 20 });
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.deepEqual(report.golden, { total: fixture.items.length, passed: fixture.items.length, failures: [] });
    assert.equal(report.accuracy?.accuracy, 1);
    assert.equal(report.latency?.runs, 20);
  });

  it("refuses a corrupt model.onnx even when the manifest's sha256 was updated to match it", async () => {
    const { dir } = await goodPackage();
    const garbage = Buffer.from("this is not an ONNX model at all");
    await writeFile(path.join(dir, "model.onnx"), garbage);
    await editManifest(dir, (m) => (m.sha256 = sha256Hex(garbage)));
    const report = await validatePackage(dir);
    assert.equal(report.ok, false);
    assert.equal(report.problems.length, 1, report.problems.join("\n"));
    assert.match(report.problems[0]!, /onnxruntime cannot load model.onnx/);
  });

  it("refuses a mislabelled package (manifest sha256 of another model)", async () => {
    const { dir } = await goodPackage();
    await editManifest(dir, (m) => (m.sha256 = "0".repeat(64)));
    const report = await validatePackage(dir);
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems, [`sha256 of model.onnx is ${sha256Hex(await readFile(path.join(dir, "model.onnx")))}, manifest says ${"0".repeat(64)}`]);
  });

  it("refuses a truncated model and reports both the sha256 and the load failure", async () => {
    const { dir } = await goodPackage();
    const bytes = await readFile(path.join(dir, "model.onnx"));
    await writeFile(path.join(dir, "model.onnx"), bytes.subarray(0, bytes.length >> 1));
    const report = await validatePackage(dir);
    assert.equal(report.ok, false);
    assert.ok(report.problems.some((p) => p.startsWith("sha256 of model.onnx")), report.problems.join("\n"));
    assert.ok(report.problems.some((p) => p.startsWith("onnxruntime cannot load")), report.problems.join("\n"));
  });

  it("refuses a package below the accuracy threshold on the given set", async () => {
    const wrong = evalSetOf(fixture.items, (l) => (l + 1) % 10);
    const report = await validatePackage(fixture.dir, { evalSet: wrong, minAccuracy: 0.9 });
    assert.equal(report.ok, false);
    assert.equal(report.accuracy?.correct, 0);
    assert.deepEqual(report.problems, [`accuracy on drawings is 0.00 % (0/${fixture.items.length}), below the required 90.00 %`]);
  });

  it("refuses a package whose golden digits fail, naming each failure", async () => {
    const { dir, items } = await goodPackage();
    const flipped = items.map((it, i) => (i === 2 ? { ...it, label: (it.label + 1) % 10 } : it));
    await writeGolden(dir, flipped);
    const report = await validatePackage(dir);
    assert.equal(report.ok, false);
    assert.equal(report.golden?.passed, items.length - 1);
    assert.deepEqual(
      report.golden?.failures.map((f) => [f.index, f.source, f.expected, f.got]),
      [[2, "drawing 2", (items[2]!.label + 1) % 10, items[2]!.label]],
    );
    assert.equal(report.problems.length, 1);
    assert.match(report.problems[0]!, /^golden digits: 1 of 8 fail: drawing 2 expected \d got \d/);
  });

  it("refuses golden digits changed after packaging (their sha256) as well as their failure", async () => {
    const { dir, items } = await goodPackage();
    const flipped = items.map((it, i) => (i === 0 ? { ...it, label: (it.label + 1) % 10 } : it));
    await writeFile(path.join(dir, GOLDEN_FILE), encodeGolden(flipped));
    const report = await validatePackage(dir);
    assert.equal(report.ok, false);
    assert.equal(report.problems.length, 2, report.problems.join("\n"));
    assert.match(report.problems[0]!, /^sha256 of golden.json is/);
    assert.match(report.problems[1]!, /^golden digits: 1 of 8 fail/);
  });

  it("refuses a package without golden digits unless told they are optional", async () => {
    const { dir } = await goodPackage();
    await editManifest(dir, (m) => delete m.golden);
    const strict = await validatePackage(dir);
    assert.deepEqual(strict.problems, ["manifest declares no golden digits (golden.file)"]);
    const lenient = await validatePackage(dir, { requireGolden: false });
    assert.equal(lenient.ok, true, lenient.problems.join("\n"));
  });

  it("reports every manifest problem and a missing model at once", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "dk-validate-bad-"));
    await writeFile(path.join(dir, "manifest.json"), JSON.stringify({ name: "x", opset: 7, quantization: "int4" }));
    const report = await validatePackage(dir);
    assert.equal(report.ok, false);
    assert.ok(report.problems.includes("cannot read model.onnx: ENOENT"), report.problems.join("\n"));
    for (const needle of ["manifest: version", "manifest: sha256", "manifest: opset", "manifest: quantization", "manifest: input must be an object"]) {
      assert.ok(report.problems.some((p) => p.startsWith(needle)), `${needle} in ${report.problems.join("\n")}`);
    }
  });

  it("refuses a model trained for another preprocessing", async () => {
    const { dir } = await goodPackage();
    await editManifest(dir, (m) => (m.preprocessing = "plain-resize-v0"));
    const report = await validatePackage(dir);
    assert.equal(report.ok, false);
    assert.match(report.problems.join("\n"), /trained for preprocessing "plain-resize-v0"/);
  });

  it("refuses a package whose median latency exceeds its budget", async () => {
    // a budget of 0 ms: any real inference takes longer, so this cannot flake
    const report = await validatePackage(fixture.dir, { latencyBudgetMs: 0, latencyRuns: 5 });
    assert.equal(report.ok, false);
    assert.match(report.problems.join("\n"), /exceeds the budget of 0 ms/);
  });

  it("round-trips golden files and rejects malformed items", () => {
    const text = encodeGolden(fixture.items);
    assert.deepEqual(parseGolden(text).items.map((i) => i.label), fixture.items.map((i) => i.label));
    const bad = parseGolden(JSON.stringify({ format: "digit-kiosk-golden/1", items: [{ label: 12, pixels: "" }, { label: 3, pixels: "AAAA" }] }));
    assert.deepEqual(bad.problems, ["golden item 0: label must be a digit 0-9", "golden item 1: pixels must be base64 of 784 bytes"]);
  });
});
