// Proves the x64 offline bundle, unpacked outside the repository, starts on its own Node with its own node_modules (native uWebSockets.js, onnxruntime, sharp) and answers POST /api/predict correctly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { assertNativeModulesLoad, mib, missing, predictSeven, repoRoot, run, startBundleRuntime, useUnpackedBundle } from "./helpers.js";

const skip = process.arch !== "x64" ? "the x64 bundle runs on an x64 host" : missing({ commands: ["tar"] });
const b = useUnpackedBundle("x64", skip);

test("the bundle holds Node 20, the built runtime, the kiosk, the default model and the units", { skip }, async (t) => {
  t.diagnostic(`x64 bundle: ${path.basename(b.bundle.bundle)} ${mib(b.bundle.bytes)} (unpacked ${mib(b.bundle.unpackedBytes)})`);
  assert.ok(!b.dir.startsWith(repoRoot), "unpacked outside the repository");
  const env = await readFile(path.join(b.dir, "bundle.env"), "utf8");
  assert.match(env, /^ARCH=x64$/m);
  assert.match(env, new RegExp(`^MODEL_SHA256=${b.bundle.modelSha256}$`, "m"));
  const version = await run(path.join(b.dir, "node", "bin", "node"), ["--version"]);
  assert.match(version.stdout, /^v20\./);
  for (const f of ["app/runtime/dist/main.js", "app/kiosk/dist/index.html", "app/runtime/models/default/manifest.json", "systemd/digit-kiosk.service", "provisioning/install.sh", "share/cursors/digit-kiosk-hidden/cursors/left_ptr"]) {
    await readFile(path.join(b.dir, f));
  }
});

test("its own Node loads the native modules from its own node_modules", { skip }, async () => {
  await assertNativeModulesLoad(b.dir, "x64", false);
});

test("unpacked in a temp dir, it starts with its own Node and recognizes a drawn 7", { skip }, async (t) => {
  const started = Date.now();
  const runtime = (b.runtime = await startBundleRuntime(b.dir));
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
  b.runtime = null;
});
