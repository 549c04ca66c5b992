// Proves remote model updates through a real sshd and a real runtime: a good package goes live without a restart
// while WebSockets keep getting answers; corrupt, truncated, wrong-shape, wrong-hash, unsafe, unsigned and badly
// signed packages are refused with a clear message while the old model serves; a transfer killed midway and a
// receiver killed mid-install change nothing; rollback restores the previous model; the restricted key runs
// nothing but the receiver (no shell command, no forwarding).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readdir, readlink, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { WsServerMessage } from "../../src/contracts/api.js";
import { tarHeader } from "../../src/deploy/tar.js";
import { sevenStrokes, startTestApp, TestSocket } from "../helpers.js";
import { makePackage, makeStore, shaOf, tarOf, wrongShapeModel } from "./fixtures.js";
import { receiverCommand, repoRoot, sshdMissing, startSshd, type Sshd } from "./sshd.js";

const skip = sshdMissing();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

function run(command: string, args: string[], input?: Buffer, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"], cwd: repoRoot, timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => {
      const last = stdout.trim().split("\n").pop() ?? "";
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(last) as Record<string, unknown>;
      } catch {
        // no JSON result: json stays empty and the assertions say so
      }
      resolve({ code, stdout, stderr, json });
    });
    if (child.stdin !== null) {
      child.stdin.on("error", () => undefined);
      child.stdin.end(input);
    }
  });
}

const errorOf = (r: Run): { code: string; message: string; problems: string[] } => r.json.error as { code: string; message: string; problems: string[] };
const modelOf = (r: Run): { sha256: string; version: string } => r.json.model as { sha256: string; version: string };

describe("model deploy over a real sshd", { skip }, () => {
  let sshd: Sshd;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let root = "";
  let etc = "";
  let defaultSha = "";
  let work = "";
  const pkgs: Record<string, string> = {};

  /** The deploy client exactly as `npm run deploy-model --` runs it. */
  const deploy = (...args: string[]): Promise<Run> =>
    run(process.execPath, ["--import", "tsx", path.join(repoRoot, "provisioning", "deploy", "main.ts"), ...args, ...(args[0] === "keygen" || args[0] === "sign" ? [] : ["--ssh-config", sshd.sshConfig, "--host", "kiosk"])]);
  /** Plain ssh with the restricted key: whatever is asked, the receiver runs. */
  const ssh = (args: string[], input?: Buffer, timeoutMs?: number): Promise<Run> => run("ssh", ["-F", sshd.sshConfig, ...args], input, timeoutMs);
  const health = async (): Promise<{ sha256: string; version: string }> => ((await (await fetch(`${app.url}/healthz`)).json()) as { model: { sha256: string; version: string } }).model;
  const current = async (): Promise<string> => readlink(path.join(root, "current"));
  const leftovers = async (): Promise<string[]> => (await readdir(root)).filter((n) => n.startsWith(".incoming-") || n.startsWith(".trash-") || n === ".deploy.lock");

  before(async () => {
    ({ root, etc, defaultSha } = await makeStore());
    work = await mkdtemp(path.join(os.tmpdir(), "dk-deploy-pkgs-"));
    pkgs.v2 = await makePackage(work, "v2", { version: "2.0.0" });
    pkgs.v3 = await makePackage(work, "v3", { version: "3.0.0" });
    pkgs.v4 = await makePackage(work, "v4", { version: "4.0.0" });
    pkgs.corrupt = await makePackage(work, "corrupt", { version: "9.1", model: randomBytes(4096) });
    pkgs.shape = await makePackage(work, "shape", { version: "9.2", model: wrongShapeModel() });
    pkgs.hash = await makePackage(work, "hash", { version: "9.3", manifestSha256: "0".repeat(64) });
    pkgs.big = await makePackage(work, "big", { version: "9.4" });
    await mkdir(path.join(pkgs.big, "report"));
    await writeFile(path.join(pkgs.big, "report", "noise.bin"), randomBytes(8 * 1024 * 1024));
    sshd = await startSshd(receiverCommand(root, etc));
    app = await startTestApp({ modelDir: path.join(root, "current") });
  });

  after(async () => {
    await app?.stop();
    await sshd?.stop();
    if (root !== "") await rm(path.dirname(root), { recursive: true, force: true });
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  test("a good package goes live without a restart while WebSockets keep getting answers", async (t) => {
    const old = await health();
    assert.equal(old.sha256, defaultSha);
    const newSha = await shaOf(pkgs.v2!);
    const sockets = await Promise.all([TestSocket.open(`${app.url.replace("http", "ws")}/ws`), TestSocket.open(`${app.url.replace("http", "ws")}/ws`)]);
    const seen: Array<{ at: number; msg: WsServerMessage }> = [];
    let stop = false;
    const loops = sockets.map(async (ws, k) => {
      for (let id = 0; !stop; id++) {
        ws.send({ type: "predict", id: `${k}-${id}`, strokes: sevenStrokes(), width: 800, height: 480 });
        seen.push({ at: performance.now(), msg: await ws.next() });
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const started = performance.now();
    const r = await deploy(pkgs.v2!);
    const returned = performance.now();
    // Keep predicting a little after the swap.
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);

    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json.ok, true);
    assert.equal(modelOf(r).sha256, newSha);
    assert.equal((r.json.runtime as { notified: boolean }).notified, true, JSON.stringify(r.json.runtime));
    assert.equal((await health()).sha256, newSha);
    assert.equal(await current(), newSha);
    assert.deepEqual(await leftovers(), []);
    for (const ws of sockets) {
      assert.equal(ws.closed, null, "a WebSocket was closed during the swap");
      ws.close();
    }
    const failures = seen.filter((s) => s.msg.type !== "prediction");
    assert.deepEqual(failures.map((s) => s.msg), [], "no prediction may fail during the swap");
    const versions = seen.map((s) => (s.msg.type === "prediction" ? s.msg.model.version : "?"));
    assert.equal(versions[0], old.version, "answers before the swap came from the old model");
    assert.ok(versions.includes("2.0.0"), "answers after the swap come from the new model");
    assert.equal(versions[versions.length - 1], "2.0.0");
    const firstNew = seen.find((s) => s.msg.type === "prediction" && s.msg.model.version === "2.0.0")!;
    const timings = r.json.timingsMs as Record<string, number>;
    t.diagnostic(
      `deploy-to-answer: ${Math.round(firstNew.at - started)} ms from starting the deploy client to the first WebSocket answer by the new model ` +
        `(client exited after ${Math.round(returned - started)} ms; receiver: ${JSON.stringify(timings)}; ${seen.length} predictions during the test, none failed)`,
    );
  });

  test("corrupt, wrong-shape and wrong-hash packages are refused; the old model keeps serving", async () => {
    const serving = await health();
    const cases: Array<[string, RegExp]> = [
      ["corrupt", /onnxruntime cannot load model\.onnx/],
      ["shape", /model input shape is \[batch,1,32,32\], manifest says \[1,1,28,28\]/],
      ["hash", /sha256 of model\.onnx is [0-9a-f]{64}, manifest says 0{64}/],
    ];
    for (const [name, message] of cases) {
      const r = await deploy(pkgs[name]!);
      assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
      assert.equal(r.json.ok, false);
      assert.equal(errorOf(r).code, "invalid_package", name);
      assert.match(errorOf(r).message, message, name);
      assert.match(r.stderr, /REFUSED/, name);
      assert.deepEqual(await health(), serving, name);
      assert.equal(await current(), serving.sha256, name);
      assert.deepEqual(await leftovers(), [], name);
    }
  });

  test("truncated, unsafe and oversized streams are refused before anything is installed", async () => {
    const serving = await health();
    const whole = await tarOf(pkgs.v3!);
    const evil = Buffer.concat([tarHeader("../evil", "file", 4), Buffer.alloc(512), Buffer.alloc(1024)]);
    const link = tarHeader("model.onnx", "file", 0);
    link.write("2", 156, "latin1"); // a symlink entry
    let sum = 0;
    link.fill(0x20, 148, 156);
    for (const b of link) sum += b;
    link.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
    await writeFile(path.join(etc, "deploy.json"), JSON.stringify({ maxPackageBytes: 4 * 1024 * 1024 }));
    const cases: Array<[string, Buffer, string, RegExp]> = [
      ["truncated", whole.subarray(0, Math.floor(whole.length / 2)), "truncated", /ended after \d+ bytes, in the middle of model\.onnx/],
      ["not a tar", randomBytes(3000), "bad_archive", /checksum|not a ustar/],
      ["path traversal", evil, "bad_archive", /climbs out of the package/],
      ["symlink", Buffer.concat([link, Buffer.alloc(1024)]), "bad_archive", /is a symbolic link/],
      ["too large", await tarOf(pkgs.big!), "too_large", /larger than this kiosk accepts \(4\.0 MiB\)|more than this kiosk accepts/],
    ];
    try {
      for (const [name, input, code, message] of cases) {
        const r = await ssh(["kiosk", "push"], input);
        assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
        assert.equal(errorOf(r).code, code, `${name}: ${r.stdout}`);
        assert.match(errorOf(r).message, message, name);
        assert.deepEqual(await health(), serving, name);
        assert.equal(await current(), serving.sha256, name);
        assert.deepEqual(await leftovers(), [], name);
      }
    } finally {
      await rm(path.join(etc, "deploy.json"));
    }
  });

  test("a transfer killed midway, and a receiver killed mid-install, change nothing", async () => {
    const serving = await health();
    const installed = (await readdir(root)).sort();
    const big = await tarOf(pkgs.big!);
    const child = spawn("ssh", ["-F", sshd.sshConfig, "kiosk", "push"], { stdio: ["pipe", "ignore", "ignore"] });
    child.stdin.on("error", () => undefined);
    child.stdin.write(big.subarray(0, 3 * 1024 * 1024));
    // Wait until the receiver is writing the package, then cut the connection.
    const until = Date.now() + 20_000;
    while (!(await readdir(root)).some((n) => n.startsWith(".incoming-"))) {
      assert.ok(Date.now() < until, "the receiver never started receiving");
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    // The receiver sees its stream end, refuses it and removes its incoming folder.
    while ((await leftovers()).length > 0) {
      assert.ok(Date.now() < until + 20_000, `left behind: ${(await leftovers()).join(", ")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual((await readdir(root)).sort(), installed);
    assert.deepEqual(await health(), serving);
    assert.equal(await current(), serving.sha256);

    // A receiver killed during an install (power cut) leaves a private folder and a lock of a dead pid:
    // neither is a package, and the next push cleans both up.
    await mkdir(path.join(root, ".incoming-999999-abcdef"));
    await writeFile(path.join(root, ".incoming-999999-abcdef", "model.onnx"), "half");
    await writeFile(path.join(root, ".deploy.lock"), "999999\n");
    const r = await deploy(pkgs.v2!);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.json.changed, false, "the same package again changes nothing");
    assert.deepEqual(await leftovers(), []);
  });

  test("with a pinned key, unsigned and badly signed packages are refused and a signed one goes live", async () => {
    const keys = await mkdtemp(path.join(os.tmpdir(), "dk-keys-"));
    const good = await deploy("keygen", "--out", path.join(keys, "good"));
    const other = await deploy("keygen", "--out", path.join(keys, "other"));
    assert.equal(good.code, 0, good.stderr);
    assert.equal(other.code, 0, other.stderr);
    await copyFile(path.join(keys, "good", "model-signing.pub"), path.join(etc, "model-signing.pub"));
    const serving = await health();
    try {
      const unsigned = await deploy(pkgs.v3!);
      assert.equal(unsigned.code, 1);
      assert.equal(errorOf(unsigned).code, "unsigned");
      assert.match(errorOf(unsigned).message, /not signed.*model-signing\.pub/);
      const wrongKey = await deploy("--sign", path.join(keys, "other", "model-signing.key"), pkgs.v3!);
      assert.equal(wrongKey.code, 1);
      assert.equal(errorOf(wrongKey).code, "bad_signature");
      assert.match(errorOf(wrongKey).message, /does not verify with the pinned key/);
      // Signed, then changed: a file added after signing breaks the signature.
      assert.equal((await deploy("sign", "--key", path.join(keys, "good", "model-signing.key"), pkgs.v3!)).code, 0);
      await mkdir(path.join(pkgs.v3!, "report"), { recursive: true });
      await writeFile(path.join(pkgs.v3!, "report", "added-later.txt"), "not signed");
      const tampered = await deploy(pkgs.v3!);
      assert.equal(errorOf(tampered).code, "bad_signature", tampered.stdout);
      await rm(path.join(pkgs.v3!, "report"), { recursive: true });
      assert.deepEqual(await health(), serving);

      const signed = await deploy(pkgs.v3!);
      assert.equal(signed.code, 0, signed.stdout + signed.stderr);
      assert.equal((signed.json.signature as { state: string }).state, "verified");
      assert.equal((await health()).sha256, await shaOf(pkgs.v3!));
    } finally {
      await rm(path.join(etc, "model-signing.pub"), { force: true });
      await rm(keys, { recursive: true, force: true });
    }
  });

  test("rollback restores the previous model; status reports it", async () => {
    const v2 = await shaOf(pkgs.v2!);
    const v3 = await shaOf(pkgs.v3!);
    assert.equal((await health()).sha256, v3);
    const back = await deploy("rollback");
    assert.equal(back.code, 0, back.stdout + back.stderr);
    assert.equal(modelOf(back).sha256, v2);
    assert.equal((await health()).sha256, v2);
    assert.equal(await current(), v2);
    assert.equal(await readlink(path.join(root, "previous")), v3);

    const toDefault = await deploy("rollback", defaultSha.slice(0, 10));
    assert.equal(toDefault.code, 0, toDefault.stdout);
    assert.equal((await health()).sha256, defaultSha);
    const missing = await deploy("rollback", "abcdef0123");
    assert.equal(missing.code, 1);
    assert.equal(errorOf(missing).code, "not_found");

    const status = await deploy("status");
    assert.equal(status.code, 0, status.stdout);
    assert.equal((status.json.current as { sha256: string }).sha256, defaultSha);
    assert.equal((status.json.previous as { sha256: string }).sha256, v2);
    assert.equal((status.json.runtime as { model: { sha256: string } }).model.sha256, defaultSha);
    assert.equal(status.json.warning, null);
    const roles = Object.fromEntries((status.json.packages as Array<{ sha256: string; roles: string[] }>).map((p) => [p.sha256, p.roles]));
    assert.deepEqual(roles[defaultSha], ["current", "bundled"]);
    assert.ok((status.json.history as unknown[]).length >= 4);
  });

  test("the last N packages are kept", async () => {
    await writeFile(path.join(etc, "deploy.json"), JSON.stringify({ keep: 3 }));
    try {
      for (const name of ["v2", "v3", "v4"]) assert.equal((await deploy(pkgs[name]!)).code, 0, name);
      const ids = (await readdir(root)).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();
      // current v4, previous v3, and the bundled default (always kept): v2 is pruned.
      assert.deepEqual(ids, [defaultSha, await shaOf(pkgs.v3!), await shaOf(pkgs.v4!)].sort());
    } finally {
      await rm(path.join(etc, "deploy.json"));
    }
  });

  test("the restricted key runs nothing but the receiver: no shell command, no forwarding", async () => {
    const serving = await health();
    for (const command of [["id"], ["status;", "id"], ["sh", "-c", "id"], ["push", "--models-dir", "/tmp"]]) {
      const r = await ssh(["kiosk", ...command]);
      assert.equal(r.code, 2, `${command.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.equal(errorOf(r).code, "usage");
      assert.match(errorOf(r).message, /this key may only run: push .* \| status \| rollback/);
      assert.doesNotMatch(r.stdout + r.stderr, /uid=\d+/);
    }
    const stdio = await ssh(["-W", `127.0.0.1:${app.port}`, "kiosk"], Buffer.from("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"), 20_000);
    assert.notEqual(stdio.code, 0);
    assert.match(stdio.stderr, /stdio forwarding failed|administratively prohibited|open failed/);
    assert.doesNotMatch(stdio.stdout, /HTTP\/1\.1 200/);
    const remote = await ssh(["-N", "-o", "ExitOnForwardFailure=yes", "-R", `0:127.0.0.1:${app.port}`, "kiosk"], undefined, 20_000);
    assert.notEqual(remote.code, 0);
    assert.match(remote.stderr, /forwarding failed/i);
    assert.match(sshd.log(), /refused local port forward/, "sshd itself refused the forwarding (the key's restrict)");
    assert.deepEqual(await health(), serving);
  });
});
