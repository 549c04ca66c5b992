// Proves the arm64 offline bundle's native binaries (Node, onnxruntime, uWebSockets.js, sharp) load on arm64 and its runtime answers POST /api/predict correctly, under qemu-user emulation of a Cortex-A72.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { assertNativeModulesLoad, mib, missing, predictSeven, startBundleRuntime, useUnpackedBundle } from "./helpers.js";

const skip = missing({ root: true, commands: ["qemu-aarch64-static", "unshare", "tar"], files: ["/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1", "/usr/aarch64-linux-gnu/lib/libstdc++.so.6"] });
const b = useUnpackedBundle("arm64", skip);

test("the arm64 bundle's Node is an arm64 Node 20 that loads its native modules", { skip }, async (t) => {
  t.diagnostic(`arm64 bundle: ${path.basename(b.bundle.bundle)} ${mib(b.bundle.bytes)} (unpacked ${mib(b.bundle.unpackedBytes)})`);
  assert.match(await readFile(path.join(b.dir, "bundle.env"), "utf8"), /^ARCH=arm64$/m);
  await assertNativeModulesLoad(b.dir, "arm64", true);
});

test("under qemu-aarch64 the arm64 bundle's runtime recognizes a drawn 7", { skip }, async (t) => {
  const started = Date.now();
  const runtime = (b.runtime = await startBundleRuntime(b.dir, true));
  const url = await runtime.url;
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  t.diagnostic(`arm64 bundle under qemu: ready and healthy ${Date.now() - started} ms after the process started (emulated: not a timing)`);
  const { status, body } = await predictSeven(url);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.digit, 7);
  assert.doesNotMatch(runtime.output(), /not compatible|Falling back/);
  assert.equal(await runtime.stop(), 0);
  b.runtime = null;
});
