// Proves `npm run package` end to end on the real default model: it writes a validated int8 QDQ package (model.onnx, model-fp32.onnx, golden.json, manifest with both models' metrics) and its report, and refuses, writing nothing, a package below --min-accuracy or an --out that is not a package.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import { promisify } from "node:util";
import { validateManifest } from "@digit-kiosk/runtime/contracts/manifest";
import { validatePackage } from "@digit-kiosk/runtime/model/validate";
import { REPO_ROOT } from "../src/data/mnist-idx.js";
import { sha256Hex } from "../src/package.js";

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, "training", "src", "cli", "package.ts");
const DEFAULT_MODEL = path.join(REPO_ROOT, "runtime", "models", "default");

async function packageCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("npm run package", () => {
  let work: string;
  let out: string;
  let reportDir: string;

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "dk-package-"));
    out = path.join(work, "pkg");
    reportDir = path.join(work, "report");
    const r = await packageCli(["--model", DEFAULT_MODEL, "--out", out, "--report-dir", reportDir, "--calibration", "1000", "--method", "auto", "--latency-runs", "100", "--min-accuracy", "0.95"]);
    assert.equal(r.code, 0, r.stderr);
  });

  it("prints its usage with --help", async () => {
    const r = await packageCli(["--help"]);
    assert.equal(r.code, 0);
    for (const flag of ["--model", "--out", "--calibration", "--method", "--min-accuracy", "--report-dir"]) assert.ok(r.stdout.includes(flag), flag);
  });

  it("writes an int8 package that the runtime's validator accepts", async () => {
    assert.deepEqual((await readdir(out)).sort(), ["golden.json", "manifest.json", "model-fp32.onnx", "model.onnx"]);
    const manifest = validateManifest(JSON.parse(await readFile(path.join(out, "manifest.json"), "utf8")) as unknown);
    assert.equal(manifest.quantization, "int8-qdq");
    const model = await readFile(path.join(out, "model.onnx"));
    const fp32 = await readFile(path.join(out, "model-fp32.onnx"));
    assert.equal(manifest.sha256, sha256Hex(model));
    const metrics = manifest.metrics as { fp32: { sha256: string; mnistTestAccuracy: number }; int8: { sha256: string; mnistTestAccuracy: number; sizeBytes: number }; quantization: { deployed: string; calibration: { count: number } } };
    assert.equal(metrics.fp32.sha256, sha256Hex(fp32));
    assert.equal(metrics.int8.sha256, manifest.sha256);
    assert.equal(metrics.quantization.deployed, "int8");
    assert.equal(metrics.quantization.calibration.count, 1000);
    assert.ok(metrics.fp32.mnistTestAccuracy - metrics.int8.mnistTestAccuracy <= 0.001);
    assert.ok(model.length <= 0.4 * fp32.length, `${model.length} vs ${fp32.length}`);
    assert.equal(manifest.golden?.count, 50);
    // "not sure" is refitted on the int8 model's own logits, under training's digit-null limit
    const source = validateManifest(JSON.parse(await readFile(path.join(DEFAULT_MODEL, "manifest.json"), "utf8")) as unknown);
    assert.match(manifest.calibration?.method ?? "", /int8 model's logits/);
    assert.deepEqual((manifest.metrics as { fp32Calibration?: unknown }).fp32Calibration, source.calibration);
    const limit = (source.training as { maxDigitNull: number }).maxDigitNull;
    const shares = (manifest.metrics as { calibrationNullShare: Record<string, number> }).calibrationNullShare;
    assert.deepEqual(Object.keys(shares).sort(), ["mnist-val", "non-digits-val", "pendigits-val"]);
    for (const set of ["mnist-val", "pendigits-val"]) assert.ok(shares[set]! <= limit, `${set}: ${shares[set]} null`);
    assert.ok(shares["non-digits-val"]! > 0.5, `non-digits-val: ${shares["non-digits-val"]} null`);
    const report = await validatePackage(out, { latencyBudgetMs: 1e6 });
    assert.deepEqual(report.problems, []);
    assert.equal(report.golden?.passed, 50);
  });

  it("writes the report where it was told", async () => {
    const html = await readFile(path.join(reportDir, "index.html"), "utf8");
    assert.ok(html.includes("Deployed model: int8 (ONNX QDQ)"));
    assert.ok(html.includes("fp32 and int8 side by side"));
    assert.ok(existsSync(path.join(reportDir, "report.json")));
  });

  it("refuses a package below --min-accuracy and leaves the existing one untouched", async () => {
    const target = path.join(work, "existing");
    await cp(out, target, { recursive: true });
    const before = await readFile(path.join(target, "manifest.json"), "utf8");
    const r = await packageCli(["--model", DEFAULT_MODEL, "--out", target, "--report-dir", path.join(work, "report-refused"), "--calibration", "1000", "--method", "minmax", "--min-accuracy", "0.9999", "--latency-runs", "50"]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /fails validation and was not written/);
    assert.match(r.stderr, /below the required 99\.99 %/);
    assert.equal(await readFile(path.join(target, "manifest.json"), "utf8"), before);
    assert.ok(!existsSync(path.join(work, "report-refused")));
    assert.deepEqual((await readdir(work)).filter((f) => f.includes("staging")), [], "no staging folder left behind");
  });

  it("refits \"not sure\" under --max-digit-null when given, instead of training's limit", async () => {
    const target = path.join(work, "stricter");
    const r = await packageCli(["--model", DEFAULT_MODEL, "--out", target, "--report-dir", path.join(work, "report-stricter"), "--calibration", "1000", "--method", "minmax", "--latency-runs", "50", "--min-accuracy", "0.95", "--max-digit-null", "0.002"]);
    assert.equal(r.code, 0, r.stderr);
    const manifest = validateManifest(JSON.parse(await readFile(path.join(target, "manifest.json"), "utf8")) as unknown);
    assert.match(manifest.calibration?.method ?? "", /at most 0\.2 % of each set's digits null/);
    const shares = (manifest.metrics as { calibrationNullShare: Record<string, number> }).calibrationNullShare;
    for (const set of ["mnist-val", "pendigits-val"]) assert.ok(shares[set]! <= 0.002, `${set}: ${shares[set]} null`);
    const loose = JSON.parse(await readFile(path.join(out, "manifest.json"), "utf8")) as { calibration: { threshold: number } };
    assert.ok(manifest.calibration!.threshold < loose.calibration.threshold, `threshold ${manifest.calibration!.threshold} vs ${loose.calibration.threshold}`);
  });

  it("refuses to replace a folder that is not a model package", async () => {
    const target = path.join(work, "not-a-package");
    await mkdir(target);
    await writeFile(path.join(target, "notes.txt"), "keep me");
    const r = await packageCli(["--model", DEFAULT_MODEL, "--out", target]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not a model package/);
    assert.equal(await readFile(path.join(target, "notes.txt"), "utf8"), "keep me");
  });

  it("rejects bad flags with a usage error", async () => {
    const r = await packageCli(["--model", DEFAULT_MODEL, "--out", path.join(work, "x"), "--method", "entropy"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--method must be one of auto, minmax, percentile/);
    const share = await packageCli(["--model", DEFAULT_MODEL, "--out", path.join(work, "x"), "--max-digit-null", "2"]);
    assert.equal(share.code, 2);
    assert.match(share.stderr, /--max-digit-null must be a fraction/);
  });
});
