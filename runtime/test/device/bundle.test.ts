// Proves the x64 offline bundle, unpacked outside the repository, starts on its own Node with its own node_modules (native uWebSockets.js, onnxruntime, sharp) and answers POST /api/predict correctly.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  bundleNode,
  CLEAN_ENV,
  ensureBundle,
  mib,
  missing,
  nativeModulesProbe,
  predictSeven,
  repoRoot,
  run,
  startBundleRuntime,
  unpackBundle,
  type BuiltBundle,
  type BundleProcess,
} from "./helpers.js";

const skip = process.arch !== "x64" ? "the x64 bundle runs on an x64 host" : missing({ commands: ["tar"] });
let bundle: BuiltBundle;
let dir = "";
let runtime: BundleProcess | null = null;

before(async () => {
  if (skip !== undefined) return;
  bundle = await ensureBundle("x64");
  dir = await unpackBundle(bundle.bundle);
});
after(async () => {
  await runtime?.stop();
  if (dir !== "") await rm(path.dirname(dir), { recursive: true, force: true });
});

test("the bundle holds Node 20, the built runtime, the kiosk, the default model and the units", { skip }, async (t) => {
  t.diagnostic(`x64 bundle: ${path.basename(bundle.bundle)} ${mib(bundle.bytes)} (unpacked ${mib(bundle.unpackedBytes)})`);
  assert.ok(!dir.startsWith(repoRoot), "unpacked outside the repository");
  const env = await readFile(path.join(dir, "bundle.env"), "utf8");
  assert.match(env, /^ARCH=x64$/m);
  assert.match(env, new RegExp(`^MODEL_SHA256=${bundle.modelSha256}$`, "m"));
  const version = await run(path.join(dir, "node", "bin", "node"), ["--version"]);
  assert.match(version.stdout, /^v20\./);
  for (const f of ["app/runtime/dist/main.js", "app/kiosk/dist/index.html", "app/runtime/models/default/manifest.json", "systemd/digit-kiosk.service", "provisioning/install.sh", "share/cursors/digit-kiosk-hidden/cursors/left_ptr"]) {
    await readFile(path.join(dir, f));
  }
});

test("its own Node loads the native modules from its own node_modules", { skip }, async () => {
  const [command, args] = await bundleNode(dir, ["-e", nativeModulesProbe("x64"), dir], false);
  const r = await run(command, args, { env: CLEAN_ENV, cwd: os.tmpdir() });
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { arch: string; uws: string; ort: string; sharp: string };
  assert.equal(got.arch, "x64");
  assert.ok(got.uws.startsWith(dir), `uWebSockets.js from ${got.uws}`);
  assert.equal(got.ort, "function");
  assert.match(got.sharp, /^\d+\.\d+/);
});

test("unpacked in a temp dir, it starts with its own Node and recognizes a drawn 7", { skip }, async (t) => {
  const started = Date.now();
  runtime = await startBundleRuntime(dir);
  const url = await runtime.url;
  const health = await fetch(`${url}/healthz`);
  assert.equal(health.status, 200);
  t.diagnostic(`x64 bundle: ready and healthy ${Date.now() - started} ms after the process started`);
  const { status, body } = await predictSeven(url);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.digit, 7);
  assert.equal(body.probabilities.length, 10);
  const page = await fetch(`${url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html|<!doctype/i);
  // uWebSockets.js falls back to a slow JS implementation, with a warning, when its binary does not load.
  assert.doesNotMatch(runtime.output(), /not compatible|Falling back/);
  assert.equal(await runtime.stop(), 0);
  runtime = null;
});
