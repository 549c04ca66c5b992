// Proves the fleet playbooks: they pass `ansible-playbook --syntax-check`, and against a real sshd on 127.0.0.1
// (two inventory kiosks behind one loopback receiver) a roll-out goes canary-first and reports each kiosk's
// model, a refused package stops the roll-out at the canary, and the rollback playbook restores the previous model.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { startTestApp } from "../helpers.js";
import { makePackage, makeStore, shaOf } from "./fixtures.js";
import { receiverCommand, repoRoot, sshdMissing, startSshd, type Sshd } from "./sshd.js";

const fleetDir = path.join(repoRoot, "provisioning", "fleet");
const PLAYBOOKS = ["deploy-model.yml", "model-status.yml", "model-rollback.yml"];

/** ansible-playbook, installed from Debian (ansible-core) when missing and we are root; else why not. */
function ensureAnsible(): string | undefined {
  const has = (): boolean => spawnSync("sh", ["-c", "command -v ansible-playbook"], { stdio: "ignore" }).status === 0;
  if (has()) return undefined;
  if (process.getuid?.() !== 0) return "skipped: ansible-playbook is missing (Debian package ansible-core) and installing it needs root";
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", ["update", "-qq"], { stdio: "ignore", env });
  const r = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "ansible-core"], { encoding: "utf8", env });
  return has() ? undefined : `skipped: installing ansible-core failed: ${r.stderr.slice(-300)}`;
}

const noAnsible = ensureAnsible();

function ansible(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ANSIBLE_NOCOLOR: "1", ANSIBLE_LOCALHOST_WARNING: "false", ANSIBLE_PYTHON_INTERPRETER: "auto_silent", ANSIBLE_RETRY_FILES_ENABLED: "false" };
    const child = spawn("ansible-playbook", args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, out }));
  });
}

describe("fleet playbooks", { skip: noAnsible }, () => {
  test("pass ansible-playbook --syntax-check", async () => {
    for (const playbook of PLAYBOOKS) {
      const r = await ansible(["--syntax-check", "-i", path.join(fleetDir, "inventory.example.ini"), path.join(fleetDir, playbook)]);
      assert.equal(r.code, 0, `${playbook}: ${r.out}`);
    }
  });

  describe("against a loopback sshd", { skip: sshdMissing() }, () => {
    let sshd: Sshd;
    let app: Awaited<ReturnType<typeof startTestApp>>;
    let base = "";
    let work = "";
    let inventory = "";
    let defaultSha = "";

    before(async () => {
      const store = await makeStore();
      base = path.dirname(store.root);
      defaultSha = store.defaultSha;
      sshd = await startSshd(receiverCommand(store.root, store.etc));
      app = await startTestApp({ modelDir: path.join(store.root, "current") });
      work = await mkdtemp(path.join(os.tmpdir(), "dk-fleet-"));
      inventory = path.join(work, "inventory.ini");
      // Two inventory kiosks, both the loopback receiver (reached through the ssh_config alias "kiosk").
      await writeFile(
        inventory,
        ["[kiosks]", "kiosk-a ansible_host=kiosk", "kiosk-b ansible_host=kiosk", "", "[kiosks:vars]", `ansible_user=${os.userInfo().username}`, `deploy_ssh_config=${sshd.sshConfig}`, ""].join("\n"),
      );
    });

    after(async () => {
      await app?.stop();
      await sshd?.stop();
      for (const d of [base, work]) if (d !== "") await rm(d, { recursive: true, force: true });
    });

    const health = async (): Promise<string> => ((await (await fetch(`${app.url}/healthz`)).json()) as { model: { sha256: string } }).model.sha256;

    test("a roll-out goes canary first and reports every kiosk's model", async () => {
      const pkg = await makePackage(work, "fleet-v2", { version: "2.0.0" });
      const r = await ansible(["-i", inventory, path.join(fleetDir, "deploy-model.yml"), "-e", `package=${pkg}`]);
      assert.equal(r.code, 0, r.out);
      assert.equal(await health(), await shaOf(pkg));
      // serial [1, 25%]: the canary kiosk-a alone, then kiosk-b.
      const batches = r.out.split("TASK [Push the package through the kiosk's receiver]").slice(1).map((s) => s.split("TASK [")[0]!);
      assert.deepEqual(
        batches.map((b) => [...b.matchAll(/\[(kiosk-[ab]) -> localhost\]/g)].map((m) => m[1])),
        [["kiosk-a"], ["kiosk-b"]],
        r.out,
      );
      assert.match(r.out, /kiosk-a: tinyvgg-deploy-test 2\.0\.0 \([0-9a-f]{12}\)\s+is live/);
      assert.match(r.out, /kiosk-b: tinyvgg-deploy-test 2\.0\.0/);
      assert.match(r.out, /kiosk-a: current tinyvgg-deploy-test 2\.0\.0 \([0-9a-f]{12}\);\s+serving 2\.0\.0 from current/);
      assert.match(r.out, /kiosk-b: current tinyvgg-deploy-test 2\.0\.0/);
    });

    test("a refused package stops the roll-out at the canary; the rollback playbook restores the previous model", async () => {
      const before = await health();
      const bad = await makePackage(work, "fleet-bad", { version: "9.9", manifestSha256: "1".repeat(64) });
      const r = await ansible(["-i", inventory, path.join(fleetDir, "deploy-model.yml"), "-e", `package=${bad}`]);
      assert.notEqual(r.code, 0, r.out);
      assert.match(r.out, /fatal: \[kiosk-a -> localhost\]/);
      assert.doesNotMatch(r.out, /\[kiosk-b -> localhost\]/, "kiosk-b must not be reached after the canary failed");
      assert.match(r.out, /sha256 of model\.onnx is/);
      assert.equal(await health(), before);

      const back = await ansible(["-i", inventory, "--limit", "kiosk-a", path.join(fleetDir, "model-rollback.yml")]);
      assert.equal(back.code, 0, back.out);
      assert.equal(await health(), defaultSha);
    });
  });
});
