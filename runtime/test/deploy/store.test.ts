// Proves the model store of the device layout: at start it verifies models/current and falls back to previous,
// the bundled default, then the release's default; a hot swap lets queued predictions finish on the old engine
// while new ones go to the new; a refused swap keeps the old model; the admin routes need the token.
import assert from "node:assert/strict";
import { readFile, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, describe, test } from "node:test";
import { ModelStore, ModelSwapError } from "../../src/model/store.js";
import { ADMIN_ENDPOINT_FILE, switchLink } from "../../src/model/layout.js";
import { adminBaseUrl, isLoopbackAddress } from "../../src/server/admin.js";
import { renderStrokes } from "../../src/preprocess/index.js";
import { sevenStrokes, startTestApp } from "../helpers.js";
import { defaultDir, makePackage, makeStore, shaOf } from "./fixtures.js";

const ENGINE = { maxBatch: 8, maxQueue: 1000 };
const cleanup: string[] = [];
after(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

/** A store with the default (bundled), and packages v2 (current) and v3 (previous) installed. */
async function storeWithTwo(): Promise<{ root: string; defaultSha: string; v2: string; v3: string }> {
  const { root, defaultSha } = await makeStore();
  cleanup.push(path.dirname(root));
  const v2dir = await makePackage(root, "v2", { version: "2.0.0" });
  const v3dir = await makePackage(root, "v3", { version: "3.0.0" });
  const v2 = await shaOf(v2dir);
  const v3 = await shaOf(v3dir);
  await rename(v2dir, path.join(root, v2));
  await rename(v3dir, path.join(root, v3));
  await switchLink(root, "current", v2);
  await switchLink(root, "previous", v3);
  return { root, defaultSha, v2, v3 };
}

describe("start-up in the device layout", () => {
  test("serves current when it is whole", async () => {
    const { root, v2 } = await storeWithTwo();
    const store = new ModelStore(path.join(root, "current"), ENGINE);
    await store.start();
    assert.equal(store.active()?.sha256, v2);
    assert.equal(store.active()?.source, "current");
    await store.stop();
  });

  test("falls back to previous, then the bundled default, then the release's default", async () => {
    const { root, defaultSha, v2, v3 } = await storeWithTwo();
    const serving = async (): Promise<[string | undefined, string | undefined]> => {
      const store = new ModelStore(path.join(root, "current"), ENGINE);
      await store.start();
      const active = store.active();
      await store.stop();
      return [active?.sha256, active?.source];
    };
    await truncate(path.join(root, v2, "model.onnx"), 100); // a corrupted SD card
    assert.deepEqual(await serving(), [v3, "previous"]);
    // A package for another preprocessing (e.g. after a runtime upgrade) is not usable either.
    const manifest = JSON.parse(await readFile(path.join(root, v3, "manifest.json"), "utf8")) as Record<string, unknown>;
    await writeFile(path.join(root, v3, "manifest.json"), JSON.stringify({ ...manifest, preprocessing: "some-future-v9" }));
    assert.deepEqual(await serving(), [defaultSha, "bundled"]);
    await rm(path.join(root, defaultSha), { recursive: true });
    assert.deepEqual(await serving(), [defaultSha, "release-default"]);
    const store = new ModelStore(path.join(root, "current"), ENGINE, { fallbackDir: path.join(root, "nowhere") });
    await assert.rejects(store.start(), /no usable model package .*current .*sha256 of model\.onnx.*previous .*preprocessing/);
  });
});

describe("hot swap", () => {
  test("queued predictions finish on the old engine, new ones go to the new one", async () => {
    const { root, v2, v3 } = await storeWithTwo();
    const store = new ModelStore(path.join(root, "current"), ENGINE);
    await store.start();
    const pixels = renderStrokes(sevenStrokes(), 800, 480);
    const old = store.current();
    const queued = Array.from({ length: 200 }, () => store.current().infer(pixels));
    await switchLink(root, "current", v3);
    const swapping = store.reload(v3);
    const during = Array.from({ length: 50 }, () => store.current().infer(pixels));
    const result = await swapping;
    const results = await Promise.all([...queued, ...during]);
    assert.equal(results.length, 250);
    for (const probs of results) assert.equal(probs.length, 10);
    assert.notEqual(store.current(), old);
    assert.equal(store.active()?.sha256, v3);
    assert.deepEqual(result.previous?.sha256, v2);
    assert.equal(result.model.version, "3.0.0");
    await store.stop();
  });

  test("a refused swap keeps the old model; a swap to something else than expected is refused", async () => {
    const { root, v2, v3 } = await storeWithTwo();
    const store = new ModelStore(path.join(root, "current"), ENGINE);
    await store.start();
    await assert.rejects(store.reload(v3), (err: unknown) => err instanceof ModelSwapError && err.code === "conflict");
    await truncate(path.join(root, v3, "model.onnx"), 10);
    await switchLink(root, "current", v3);
    await assert.rejects(store.reload(v3), (err: unknown) => err instanceof ModelSwapError && err.code === "model_refused" && err.problems.some((p) => /sha256/.test(p)));
    assert.equal(store.active()?.sha256, v2);
    await store.current().infer(new Uint8Array(784));
    await store.stop();
    const single = new ModelStore(defaultDir, ENGINE);
    await single.start();
    await assert.rejects(single.reload(), (err: unknown) => err instanceof ModelSwapError && err.code === "not_a_store");
    await single.stop();
  });
});

describe("admin routes", () => {
  test("publish a private endpoint and answer only with the token", async () => {
    const { root, v2 } = await storeWithTwo();
    const app = await startTestApp({ modelDir: path.join(root, "current") });
    const file = path.join(root, ADMIN_ENDPOINT_FILE);
    try {
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      const endpoint = JSON.parse(await readFile(file, "utf8")) as { url: string; token: string };
      assert.equal(endpoint.url, app.url);
      const reload = (token?: string): Promise<Response> =>
        fetch(`${app.url}/admin/model/reload`, { method: "POST", headers: token === undefined ? {} : { authorization: `Bearer ${token}` }, body: "{}" });
      assert.equal((await reload()).status, 403);
      assert.equal((await reload("0".repeat(64))).status, 403);
      const status = await fetch(`${app.url}/admin/model`, { headers: { authorization: `Bearer ${endpoint.token}` } });
      assert.equal(((await status.json()) as { model: { sha256: string } }).model.sha256, v2);
      const ok = await reload(endpoint.token);
      assert.equal(ok.status, 200);
      assert.equal(((await ok.json()) as { model: { sha256: string } }).model.sha256, v2);
      const bad = await fetch(`${app.url}/admin/model/reload`, { method: "POST", headers: { authorization: `Bearer ${endpoint.token}` }, body: '{"sha256":"nope"}' });
      assert.equal(bad.status, 400);
    } finally {
      await app.stop();
    }
    await assert.rejects(stat(file), "the endpoint file is removed at stop");

    const plain = await startTestApp({ modelDir: defaultDir });
    try {
      assert.equal((await fetch(`${plain.url}/admin/model`)).status, 404);
    } finally {
      await plain.stop();
    }
  });

  test("loopback only", () => {
    for (const a of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "0000:0000:0000:0000:0000:0000:0000:0001"]) assert.equal(isLoopbackAddress(a), true, a);
    for (const a of ["10.0.0.5", "::ffff:192.168.1.2", "fe80::1", ""]) assert.equal(isLoopbackAddress(a), false, a);
    assert.equal(adminBaseUrl("0.0.0.0", 8080), "http://127.0.0.1:8080");
    assert.equal(adminBaseUrl("::", 8080), "http://[::1]:8080");
    assert.equal(adminBaseUrl("192.168.1.10", 8080), null);
  });
});
