// Proves the systemd units pass `systemd-analyze verify` with no warning, the runtime unit's exposure is <= 2.5, and the display unit carries the kiosk's Chromium flags.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { missing, repoRoot, run } from "./helpers.js";

const unitsDir = path.join(repoRoot, "systemd");
const RUNTIME = "digit-kiosk.service";
const DISPLAY = "digit-kiosk-display.service";
const skip = missing({ root: true, commands: ["systemd-analyze", "unshare", "cage", "chromium"] });

/** A root with the host's /usr (systemd's own units, cage, chromium) and the paths the units run from /opt. */
let stagingRoot = "";
before(async () => {
  if (skip !== undefined) return;
  stagingRoot = await mkdtemp(path.join(os.tmpdir(), "dk-units-"));
  await mkdir(path.join(stagingRoot, "etc", "systemd", "system"), { recursive: true });
  await mkdir(path.join(stagingRoot, "usr"));
  for (const [from, to] of [
    [process.execPath, "opt/digit-kiosk/current/node/bin/node"],
    [path.join(repoRoot, "provisioning", "health.sh"), "opt/digit-kiosk/current/provisioning/health.sh"],
  ] as const) {
    await mkdir(path.dirname(path.join(stagingRoot, to)), { recursive: true });
    await copyFile(from, path.join(stagingRoot, to));
  }
});
after(async () => {
  if (stagingRoot !== "") await rm(stagingRoot, { recursive: true, force: true });
});

/** systemd-analyze verify on unit texts installed in the staging root (host /usr bind-mounted in a private mount namespace). */
async function verify(units: Record<string, string>): Promise<{ code: number | null; output: string }> {
  for (const [name, text] of Object.entries(units)) await writeFile(path.join(stagingRoot, "etc", "systemd", "system", name), text);
  const script = 'root=$1; shift; mount --bind /usr "$root/usr" && exec systemd-analyze verify --root="$root" "$@"';
  const r = await run("unshare", ["-m", "--propagation", "private", "sh", "-c", script, "sh", stagingRoot, ...Object.keys(units)], { cwd: os.tmpdir() });
  return { code: r.code, output: (r.stdout + r.stderr).trim() };
}

const unitText = (name: string): Promise<string> => readFile(path.join(unitsDir, name), "utf8");

test("both units pass systemd-analyze verify without a single warning", { skip }, async () => {
  const r = await verify({ [RUNTIME]: await unitText(RUNTIME), [DISPLAY]: await unitText(DISPLAY) });
  assert.equal(r.code, 0, r.output);
  assert.equal(r.output, "", "verify printed warnings");
});

test("the verify check catches a broken unit (an unknown key, a missing program)", { skip }, async () => {
  const broken = (await unitText(RUNTIME)).replace("Restart=always", "Restart=always\nRestartt=always").replace("/node/bin/node", "/node/bin/nodejs");
  const r = await verify({ [RUNTIME]: broken });
  assert.match(r.output, /Unknown key 'Restartt'/);
  assert.match(r.output, /nodejs is not executable/);
  await verify({ [RUNTIME]: await unitText(RUNTIME) });
});

test("the runtime unit scores <= 2.5 in systemd-analyze security --offline=true", { skip: missing({ commands: ["systemd-analyze"] }) }, async (t) => {
  const r = await run("systemd-analyze", ["security", "--offline=true", "--no-pager", path.join(unitsDir, RUNTIME)], { cwd: os.tmpdir() });
  const m = /Overall exposure level for digit-kiosk\.service: ([\d.]+)/.exec(r.stdout + r.stderr);
  assert.ok(m !== null, r.stdout + r.stderr);
  const score = Number(m[1]);
  t.diagnostic(`runtime unit exposure: ${score}`);
  assert.ok(score <= 2.5, `exposure ${score} > 2.5`);
});

test("the runtime unit is Type=notify with a watchdog, always restarted, sandboxed, and keeps /proc/cpuinfo readable", async () => {
  const text = await unitText(RUNTIME);
  for (const line of [
    "Type=notify",
    "NotifyAccess=all",
    "Restart=always",
    "User=digit-kiosk",
    "ProtectSystem=strict",
    "NoNewPrivileges=yes",
    "PrivateTmp=yes",
    "StateDirectory=digit-kiosk",
    "ConfigurationDirectory=digit-kiosk",
    "CapabilityBoundingSet=",
    "SystemCallFilter=@system-service",
  ]) {
    assert.match(text, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"), `missing ${line}`);
  }
  assert.match(text, /^WatchdogSec=\d+s$/m);
  // Node's JIT needs W+X memory; onnxruntime reads /proc/cpuinfo.
  assert.doesNotMatch(text, /^MemoryDenyWriteExecute=yes/m);
  assert.doesNotMatch(text, /^ProcSubset=pid/m);
});

test("the display unit runs cage + Chromium on tty1 with the kiosk flags, after the runtime, restarted when it dies", async () => {
  const text = await unitText(DISPLAY);
  const exec = /^ExecStart=((?:[^\n]*\\\n)*[^\n]*)/m.exec(text)?.[1]?.replace(/\\\n\s*/g, " ") ?? "";
  assert.match(exec, /^\/usr\/bin\/cage -d -s \$CAGE_ROTATE -- \/usr\/bin\/chromium /);
  for (const flag of [
    "--kiosk",
    "--noerrdialogs",
    "--disable-pinch",
    "--overscroll-history-navigation=0",
    "--hide-crash-restore-bubble",
    "--disable-session-crashed-bubble",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--check-for-update-interval=31536000",
  ]) {
    assert.ok(exec.split(" ").includes(flag), `ExecStart lacks ${flag}`);
  }
  assert.match(exec, /--disable-features=[^ ]*\bTranslate\b/);
  assert.match(text, /^TTYPath=\/dev\/tty1$/m);
  assert.match(text, /^Conflicts=getty@tty1\.service$/m);
  assert.match(text, /^After=digit-kiosk\.service /m);
  assert.match(text, /^Restart=always$/m);
  assert.match(text, /^ExecStartPre=.*health\.sh --wait 0 /m);
  assert.match(text, /^Environment=XCURSOR_THEME=digit-kiosk-hidden$/m);
});
