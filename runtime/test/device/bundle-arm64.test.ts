// Proves the arm64 offline bundle's native binaries (Node, onnxruntime, uWebSockets.js, sharp) load on arm64 and its runtime answers POST /api/predict correctly, under qemu-user emulation of a Cortex-A72.
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
  run,
  startBundleRuntime,
  unpackBundle,
  type BuiltBundle,
  type BundleProcess,
} from "./helpers.js";

const skip = missing({ root: true, commands: ["qemu-aarch64-static", "unshare", "tar"], files: ["/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1", "/usr/aarch64-linux-gnu/lib/libstdc++.so.6"] });
let bundle: BuiltBundle;
let dir = "";
let runtime: BundleProcess | null = null;

before(async () => {
  if (skip !== undefined) return;
  bundle = await ensureBundle("arm64");
  dir = await unpackBundle(bundle.bundle);
});
after(async () => {
  await runtime?.stop();
  if (dir !== "") await rm(path.dirname(dir), { recursive: true, force: true });
});

test("the arm64 bundle's Node is an arm64 Node 20 that loads its native modules", { skip }, async (t) => {
  t.diagnostic(`arm64 bundle: ${path.basename(bundle.bundle)} ${mib(bundle.bytes)} (unpacked ${mib(bundle.unpackedBytes)})`);
  assert.match(await readFile(path.join(dir, "bundle.env"), "utf8"), /^ARCH=arm64$/m);
  const [command, args] = await bundleNode(dir, ["-e", nativeModulesProbe("arm64"), dir], true);
  const r = await run(command, args, { env: CLEAN_ENV, cwd: os.tmpdir() });
  assert.equal(r.code, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { arch: string; uws: string; ort: string; sharp: string };
  assert.equal(got.arch, "arm64");
  assert.ok(got.uws.startsWith(dir), `uWebSockets.js from ${got.uws}`);
  assert.equal(got.ort, "function");
  assert.match(got.sharp, /^\d+\.\d+/);
});

test("under qemu-aarch64 the arm64 bundle's runtime recognizes a drawn 7", { skip }, async (t) => {
  const started = Date.now();
  runtime = await startBundleRuntime(dir, true);
  const url = await runtime.url;
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  t.diagnostic(`arm64 bundle under qemu: ready and healthy ${Date.now() - started} ms after the process started (emulated: not a timing)`);
  const { status, body } = await predictSeven(url);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.digit, 7);
  assert.doesNotMatch(runtime.output(), /not compatible|Falling back/);
  assert.equal(await runtime.stop(), 0);
  runtime = null;
});
