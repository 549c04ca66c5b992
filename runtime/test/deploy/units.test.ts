// Proves the receiver's parts on their own: the tar reader/writer (round trip, GNU tar both ways, every refusal),
// the package name rules, Ed25519 signatures over every file, the untrusted sub-command parser, deploy.json checks.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { DeployError } from "../../src/deploy/errors.js";
import { listPackage, packagePathProblem } from "../../src/deploy/files.js";
import { parseRequest } from "../../src/deploy/request.js";
import { loadPinnedKeys, loadSettings } from "../../src/deploy/settings.js";
import { generateSigningKeys, packageDigest, parsePublicKeys, signDigest, verifyDigest } from "../../src/deploy/signature.js";
import { readTar, tarHeader, writeTar, type TarSource } from "../../src/deploy/tar.js";
import { createPrivateKey } from "node:crypto";

const temp: string[] = [];
after(async () => {
  for (const d of temp) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), "dk-units-"));
  temp.push(d);
  return d;
}

async function* chunksOf(buf: Buffer, size = 700): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function tarBytes(entries: TarSource[]): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of writeTar(entries)) parts.push(c);
  return Buffer.concat(parts);
}

/** Reads a tar into memory: {path: content}, folders as null. */
async function readAll(buf: Buffer, maxBytes = 1 << 24): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  await readTar(
    chunksOf(buf),
    {
      directory: async (name) => {
        out[name] = null;
      },
      file: async (name) => {
        const parts: Buffer[] = [];
        return {
          write: async (c) => {
            parts.push(Buffer.from(c));
          },
          end: async () => {
            out[name] = Buffer.concat(parts).toString("utf8");
          },
        };
      },
    },
    maxBytes,
  );
  return out;
}

const file = (p: string, text: string): TarSource => ({ path: p, kind: "file", size: Buffer.byteLength(text), body: () => Buffer.from(text) });
const rejectsWith = async (buf: Buffer, code: string, message: RegExp, maxBytes?: number): Promise<void> => {
  await assert.rejects(readAll(buf, maxBytes), (err: unknown) => err instanceof DeployError && err.code === code && message.test(err.message));
};
/** A header with another type flag (and a fixed checksum). */
function withType(header: Buffer, flag: string): Buffer {
  const h = Buffer.from(header);
  h.write(flag, 156, "latin1");
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return h;
}
const END = Buffer.alloc(1024);

describe("tar", () => {
  test("round trip, and long report paths", async () => {
    const long = `report/${"a".repeat(60)}/${"b".repeat(60)}.txt`;
    const buf = await tarBytes([file("manifest.json", "{}"), file("model.onnx", "x".repeat(1000)), { path: "report", kind: "directory" }, file(long, "deep")]);
    assert.deepEqual(await readAll(buf), { "manifest.json": "{}", "model.onnx": "x".repeat(1000), report: null, [long]: "deep" });
  });

  test("GNU tar reads ours, and we read GNU tar's (ustar and gnu formats)", async () => {
    const dir = await tempDir();
    const buf = await tarBytes([file("manifest.json", "{}"), { path: "report", kind: "directory" }, file("report/a.txt", "A")]);
    await writeFile(path.join(dir, "ours.tar"), buf);
    const listed = spawnSync("tar", ["-tf", path.join(dir, "ours.tar")], { encoding: "utf8" });
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(listed.stdout.trim().split("\n"), ["manifest.json", "report/", "report/a.txt"]);
    const pkg = path.join(dir, "pkg");
    await mkdir(path.join(pkg, "report"), { recursive: true });
    await writeFile(path.join(pkg, "model.onnx"), "M");
    await writeFile(path.join(pkg, "report", "r.txt"), "R");
    for (const format of ["ustar", "gnu"]) {
      const made = spawnSync("tar", [`--format=${format}`, "-cf", "-", "-C", pkg, "."]);
      assert.equal(made.status, 0);
      assert.deepEqual(await readAll(made.stdout), { "model.onnx": "M", report: null, "report/r.txt": "R" }, format);
    }
  });

  test("refuses links, devices, pax headers, unsafe and unknown names, duplicates", async () => {
    const h = tarHeader("model.onnx", "file", 0);
    await rejectsWith(Buffer.concat([withType(h, "2"), END]), "bad_archive", /symbolic link/);
    await rejectsWith(Buffer.concat([withType(h, "1"), END]), "bad_archive", /hard link/);
    await rejectsWith(Buffer.concat([withType(h, "3"), END]), "bad_archive", /character device/);
    await rejectsWith(Buffer.concat([withType(h, "x"), END]), "bad_archive", /pax extended header/);
    await rejectsWith(await tarBytes([file("../model.onnx", "x")]), "bad_archive", /climbs out/);
    await rejectsWith(Buffer.concat([tarHeader("/etc/passwd", "file", 0), END]), "bad_archive", /absolute path/);
    await rejectsWith(await tarBytes([file("report/../../x", "x")]), "bad_archive", /climbs out/);
    await rejectsWith(await tarBytes([file(".bashrc", "x")]), "bad_archive", /not allowed/);
    await rejectsWith(await tarBytes([file("run.sh", "x")]), "bad_archive", /is not a package file/);
    await rejectsWith(await tarBytes([{ path: "bin", kind: "directory" }]), "bad_archive", /only have folders under report/);
    await rejectsWith(await tarBytes([file("model.onnx", "a"), file("model.onnx", "b")]), "bad_archive", /appears twice/);
  });

  test("refuses corrupt headers, truncated streams, trailing data and streams past the cap", async () => {
    const good = await tarBytes([file("manifest.json", "{}"), file("model.onnx", "x".repeat(3000))]);
    const corrupt = Buffer.from(good);
    corrupt[10] = 0x41;
    await rejectsWith(corrupt, "bad_archive", /checksum/);
    await rejectsWith(good.subarray(0, 600), "truncated", /after manifest\.json/);
    await rejectsWith(good.subarray(0, 512 * 3 + 100), "truncated", /in the middle of model\.onnx/);
    await rejectsWith(good.subarray(0, good.length - 512), "truncated", /end-of-archive/);
    await rejectsWith(Buffer.alloc(0), "truncated", /before any file/);
    await rejectsWith(Buffer.concat([good, Buffer.from("more")]), "bad_archive", /after the end/);
    await rejectsWith(good, "too_large", /model\.onnx is .* more than this kiosk accepts|larger than this kiosk accepts/, 2048);
    await rejectsWith(good, "too_large", /larger than this kiosk accepts/, 4000);
  });

  test("package names", () => {
    assert.equal(packagePathProblem("golden.json", "file"), null);
    assert.equal(packagePathProblem("model-fp32.onnx", "file"), null);
    assert.equal(packagePathProblem("report/confusion.png", "file"), null);
    assert.equal(packagePathProblem("report/a/b/c.json", "file"), null);
    assert.match(packagePathProblem("report", "file") ?? "", /not a package file/);
    assert.match(packagePathProblem("report/a/b/c/d/e.txt", "file") ?? "", /not a package file/);
    assert.match(packagePathProblem("report/x\\y", "file") ?? "", /not allowed/);
  });
});

describe("signatures", () => {
  test("cover every file: a change, an addition or another key is detected", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, "manifest.json"), "{}");
    await writeFile(path.join(dir, "model.onnx"), "M");
    const keys = generateSigningKeys();
    const other = generateSigningKeys();
    const pinned = parsePublicKeys(keys.publicPem + other.publicPem);
    assert.equal(pinned.keys.length, 2);
    const digest = async (): Promise<string> => packageDigest(dir, (await listPackage(dir)).files);
    const signature = signDigest(await digest(), createPrivateKey(keys.privatePem));
    await writeFile(path.join(dir, "signature"), signature);
    assert.deepEqual(verifyDigest(await digest(), signature, pinned.keys), { ok: true, keyId: keys.keyId });
    assert.equal(verifyDigest(await digest(), signature, parsePublicKeys(other.publicPem).keys).ok, false);
    await writeFile(path.join(dir, "model.onnx"), "N");
    assert.equal(verifyDigest(await digest(), signature, pinned.keys).ok, false);
    await writeFile(path.join(dir, "model.onnx"), "M");
    await mkdir(path.join(dir, "report"));
    await writeFile(path.join(dir, "report", "x.txt"), "added");
    assert.equal(verifyDigest(await digest(), signature, pinned.keys).ok, false);
    assert.equal(verifyDigest(await digest(), "not json", pinned.keys).ok, false);
  });

  test("a pinned key file that is not usable refuses everything", async () => {
    const etc = await tempDir();
    assert.equal(await loadPinnedKeys(etc), null);
    await writeFile(path.join(etc, "model-signing.pub"), "garbage");
    await assert.rejects(loadPinnedKeys(etc), (err: unknown) => err instanceof DeployError && err.code === "config");
    const { publicKey } = await import("node:crypto").then((c) => c.generateKeyPairSync("rsa", { modulusLength: 1024 }));
    await writeFile(path.join(etc, "model-signing.pub"), publicKey.export({ type: "spki", format: "pem" }).toString());
    await assert.rejects(loadPinnedKeys(etc), /not Ed25519/);
  });
});

describe("receiver input", () => {
  test("only push, status and rollback [SHA256] are accepted", () => {
    assert.deepEqual(parseRequest("push"), { action: "push" });
    assert.deepEqual(parseRequest(" status "), { action: "status" });
    assert.deepEqual(parseRequest("rollback"), { action: "rollback", target: null });
    assert.deepEqual(parseRequest("rollback 719219e4bf"), { action: "rollback", target: "719219e4bf" });
    for (const bad of ["", "id", "push x", "status; id", "rollback ../../etc", "rollback abc", "bash -c id", "push\nid", "scp -t /"]) {
      assert.throws(() => parseRequest(bad), (err: unknown) => err instanceof DeployError && err.code === "usage" && err.exitCode === 2, bad);
    }
  });

  test("deploy.json: defaults, and every problem at once", async () => {
    const etc = await tempDir();
    assert.equal((await loadSettings("/m", etc)).keep, 3);
    await writeFile(path.join(etc, "deploy.json"), JSON.stringify({ keep: 5, latencyBudgetMs: null }));
    const s = await loadSettings("/m", etc);
    assert.equal(s.keep, 5);
    assert.equal(s.latencyBudgetMs, null);
    await writeFile(path.join(etc, "deploy.json"), JSON.stringify({ keep: 1, maxPackageBytes: "big", colour: "red" }));
    await assert.rejects(loadSettings("/m", etc), (err: unknown) => err instanceof DeployError && err.problems.length === 3);
    assert.match(await readFile(path.join(etc, "deploy.json"), "utf8"), /colour/);
  });
});
