// Proves the manifest validator reports every problem at once and the loader refuses a package whose manifest does not match its model.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DEFAULT_CONFIG } from "../src/config.js";
import { ManifestError, validateManifest, type Manifest } from "../src/contracts/manifest.js";
import { loadPackage, PackageError } from "../src/model/package.js";

const defaultDir = DEFAULT_CONFIG.modelDir;

async function readDefaultManifest(): Promise<Manifest> {
  return JSON.parse(await readFile(path.join(defaultDir, "manifest.json"), "utf8")) as Manifest;
}

async function tamperedCopy(change: (m: Record<string, unknown>) => void): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dk-pkg-"));
  await cp(defaultDir, dir, { recursive: true });
  const m = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as Record<string, unknown>;
  change(m);
  await writeFile(path.join(dir, "manifest.json"), JSON.stringify(m));
  return dir;
}

test("the bundled default manifest is valid", async () => {
  const m = validateManifest(await readDefaultManifest());
  assert.deepEqual(m.input.shape, [1, 1, 28, 28]);
});

test("validateManifest lists every problem together", () => {
  try {
    validateManifest({ name: "", version: 3, sha256: "xyz", opset: 9, quantization: "int4", input: { shape: [1, 28, 28] }, output: {}, metrics: {}, training: {} });
    assert.fail("expected a ManifestError");
  } catch (err) {
    assert.ok(err instanceof ManifestError);
    const text = err.problems.join("\n");
    for (const needle of ["name", "version", "createdAt", "sha256", "opset", "quantization", "input.shape", "input.layout", "input.std", "output.kind", "preprocessing"]) {
      assert.ok(text.includes(needle), `problem list mentions ${needle}:\n${text}`);
    }
  }
  assert.throws(() => validateManifest(null), ManifestError);
  assert.throws(() => validateManifest([]), ManifestError);
});

test("the default package loads in onnxruntime", async () => {
  const model = await loadPackage(defaultDir);
  assert.ok(model.session.inputNames.includes(model.manifest.input.name));
  await model.session.release();
});

test("a package whose sha256 does not match model.onnx is refused", async () => {
  const dir = await tamperedCopy((m) => {
    m.sha256 = "0".repeat(64);
  });
  await assert.rejects(loadPackage(dir), (err: unknown) => err instanceof PackageError && /sha256/.test(err.message));
});

test("a manifest naming an input or output the model does not have is refused", async () => {
  const dir = await tamperedCopy((m) => {
    (m.input as Record<string, unknown>).name = "pixels";
    (m.output as Record<string, unknown>).name = "scores";
  });
  await assert.rejects(loadPackage(dir), (err: unknown) => err instanceof PackageError && /no input "pixels"/.test(err.message) && /no output "scores"/.test(err.message));
});

test("a package with a corrupt model.onnx or a missing file is refused", async () => {
  const corrupt = await tamperedCopy(() => undefined);
  const garbage = Buffer.from("this is not an onnx model");
  await writeFile(path.join(corrupt, "model.onnx"), garbage);
  const { createHash } = await import("node:crypto");
  const m = JSON.parse(await readFile(path.join(corrupt, "manifest.json"), "utf8")) as Record<string, unknown>;
  m.sha256 = createHash("sha256").update(garbage).digest("hex");
  await writeFile(path.join(corrupt, "manifest.json"), JSON.stringify(m));
  await assert.rejects(loadPackage(corrupt), (err: unknown) => err instanceof PackageError && /onnxruntime cannot load/.test(err.message));

  const empty = await mkdtemp(path.join(os.tmpdir(), "dk-empty-"));
  await assert.rejects(loadPackage(empty), (err: unknown) => err instanceof PackageError && /manifest\.json/.test(err.message) && /model\.onnx/.test(err.message));
});
