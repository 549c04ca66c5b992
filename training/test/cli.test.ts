// Proves `npm run train` and `npm run eval` work end to end: a tiny run writes a valid package that eval reads back and scores the same; a mixed run with --val writes a calibrated package.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { validateManifest } from "@digit-kiosk/runtime/contracts/manifest";
import { REPO_ROOT } from "../src/data/mnist-idx.js";
import { ProgressBar } from "../src/progress.js";

const run = promisify(execFile);
const cli = (script: string, args: string[]) =>
  run(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "training/src/cli", script), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, npm_lifecycle_event: "" },
  });

describe("training CLIs", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "cli-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("train writes a package whose manifest records the run, and eval scores it identically", async () => {
    const out = path.join(dir, "pkg");
    const args = ["--data", "embedded", "--limit", "1024", "--epochs", "1", "--width", "4", "--seed", "3", "--version", "0.0.1-cli", "--out", out];
    const trained = await cli("train.ts", args);
    assert.equal(trained.stdout.trim(), out, "stdout is the package path");
    assert.match(trained.stderr, /epoch 1\/1 loss [\d.]+ acc [\d.]+% \d+ img\/s/);
    assert.match(trained.stderr, /test accuracy \(onnxruntime, (mnist|embedded)-test\)/);
    const manifest = validateManifest(JSON.parse(await readFile(path.join(out, "manifest.json"), "utf8")) as unknown);
    assert.equal(manifest.version, "0.0.1-cli");
    assert.equal(manifest.training.command, `tsx training/src/cli/train.ts ${args.join(" ")}`);
    assert.equal(manifest.training.trainCount, 1024);
    assert.equal(manifest.training.width, 4);
    const set = typeof manifest.metrics.mnistTestAccuracy === "number" ? "mnist-test" : "embedded-test";
    const trainedAccuracy = manifest.metrics.mnistTestAccuracy ?? manifest.metrics.embeddedTestAccuracy;

    const evaluated = await cli("eval.ts", ["--model", out, "--set", set, "--json"]);
    const [result] = (JSON.parse(evaluated.stdout) as { reports: Array<{ topAccuracy: number; accuracy: number; count: number; confusion: number[][] }> }).reports;
    assert.ok(result !== undefined);
    assert.equal(result.topAccuracy, trainedAccuracy);
    assert.ok(result.accuracy <= result.topAccuracy, "a null answer counts as wrong");
    assert.equal(result.confusion.flat().reduce((a, b) => a + b, 0), result.count);
  });

  it("a mix with --val keeps the best epoch, calibrates not-sure into the manifest, and eval applies it", async () => {
    const out = path.join(dir, "mix");
    const args = ["--data", "embedded,pendigits,non-digits", "--weights", "2,2,1", "--limit", "300", "--epoch-size", "256", "--epochs", "2"];
    args.push("--width", "4", "--batch-size", "64", "--val", "pendigits-val", "--version", "0.0.2-mix", "--out", out);
    const trained = await cli("train.ts", args);
    assert.match(trained.stderr, /source pendigits: 300 samples, weight 2/);
    assert.match(trained.stderr, /kept epoch [12] \(best mean digit accuracy of the validation sets among the epochs answering at least 90 % of the non-digits null\)/);
    assert.match(trained.stderr, /calibration: temperature [\d.]+ .*threshold [\d.]+/);
    const manifest = validateManifest(JSON.parse(await readFile(path.join(out, "manifest.json"), "utf8")) as unknown);
    assert.ok(manifest.calibration !== undefined && manifest.calibration.temperature > 0);
    assert.deepEqual(manifest.training.validationSets, ["pendigits-val"]);
    assert.equal(manifest.training.minNonDigitNull, 0.9);
    assert.equal(manifest.training.data, "embedded,pendigits,non-digits");

    const evaluated = await cli("eval.ts", ["--model", out, "--set", "pendigits-val,non-digits", "--json"]);
    const { reports } = JSON.parse(evaluated.stdout) as { reports: Array<{ set: string; via: string; count: number; answeredShare: number }> };
    assert.deepEqual(reports.map((r) => [r.set, r.count]), [["pendigits-val", 1499], ["non-digits", 320]]);
    assert.match(reports[0]!.via, new RegExp(`T ${manifest.calibration.temperature}, threshold ${manifest.calibration.threshold}`));
    // the threshold was chosen so that at most 0.5 % of the validation digits are null
    assert.ok(reports[0]!.answeredShare >= 0.995, `answered ${reports[0]!.answeredShare}`);
  });

  it("eval refuses a folder that is not a package and train rejects bad flags, with exit codes", async () => {
    await assert.rejects(cli("eval.ts", ["--model", dir]), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, /model package .* is invalid: cannot read manifest\.json: ENOENT/);
      return true;
    });
    await assert.rejects(cli("train.ts", ["--epochs", "zero"]), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /--epochs must be an integer >= 1, got "zero"/);
      return true;
    });
    await assert.rejects(cli("train.ts", ["--data", "embedded,pendigits", "--weights", "1"]), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /--weights needs 2 positive numbers/);
      return true;
    });
    await assert.rejects(cli("train.ts", ["--data", "embedded", "--val", "mnist-test"]), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /test sets stay for testing/);
      return true;
    });
  });
});

describe("progress bar", () => {
  it("prints about one line per 10 % when not on a terminal, with rate and ETA", () => {
    const lines: string[] = [];
    const bar = new ProgressBar("epoch 1/1", 1000, { write: (t: string) => lines.push(t) > 0, isTTY: false });
    for (let done = 10; done <= 1000; done += 10) bar.update(done, "loss 0.1");
    bar.finish("done");
    assert.equal(lines.length, 10, lines.join(""));
    assert.match(lines[0]!, /^epoch 1\/1 \[=+>? *\]  10% 100\/1000 \d+ img\/s ETA \S+ loss 0\.1\n$/);
    assert.equal(lines.at(-1), "epoch 1/1 done\n");
  });

  it("redraws in place on a terminal", () => {
    const out: string[] = [];
    const bar = new ProgressBar("e", 10, { write: (t: string) => out.push(t) > 0, isTTY: true });
    bar.update(10);
    bar.finish("ok");
    assert.ok(out.every((t) => t.startsWith("\r\x1b[2K")));
    assert.ok(!out[0]!.includes("\n"));
  });
});
