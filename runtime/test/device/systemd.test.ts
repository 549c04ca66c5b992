// Proves, under a real systemd 252 in a container, that install.sh brings up the runtime unit (READY after a self-test prediction, then healthy and predicting), that WATCHDOG pings keep it alive and a hung runtime is killed and restarted, that the systemd-notify fallback works without socat, and that an upgrade to a broken release rolls back by itself.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Container } from "./container.js";
import { ensureBundle, missing, run, unpackBundle, waitFor, type BuiltBundle } from "./helpers.js";
import { sevenStrokes } from "../helpers.js";

const skip = process.arch !== "x64" ? "runs the x64 bundle" : missing({ root: true, commands: ["systemd-nspawn", "nsenter", "socat", "systemd-notify"] });
const UNIT = "digit-kiosk.service";
const DROPIN = "/etc/systemd/system/digit-kiosk.service.d/test.conf";

let bundle: BuiltBundle;
let variants = "";
let box: Container;

/** Release variants of the bundle beside it: good (only a new version) and broken (main.js throws at start). */
async function makeVariants(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dk-variants-"));
  const base = await unpackBundle(bundle.bundle);
  await cp(base, path.join(dir, "base"), { recursive: true, verbatimSymlinks: true });
  await rm(path.dirname(base), { recursive: true, force: true });
  for (const [name, change] of [
    ["good", async (_d: string): Promise<void> => undefined],
    ["broken", async (d: string): Promise<void> => writeFile(path.join(d, "app/runtime/dist/main.js"), 'throw new Error("a broken release");\n')],
  ] as const) {
    const d = path.join(dir, name);
    const r = await run("cp", ["-al", path.join(dir, "base"), d]);
    assert.equal(r.code, 0, r.stderr);
    // Hard-linked copies: replace (never modify) the files that differ.
    const env = path.join(d, "bundle.env");
    await rm(env);
    await writeFile(env, `VERSION=${bundle.version}-${name}\nARCH=x64\nMODEL_SHA256=${bundle.modelSha256}\n`);
    await rm(path.join(d, "app/runtime/dist/main.js"));
    await cp(path.join(dir, "base/app/runtime/dist/main.js"), path.join(d, "app/runtime/dist/main.js"));
    await change(d);
  }
  return dir;
}

before(async () => {
  if (skip !== undefined) return;
  bundle = await ensureBundle("x64");
  variants = await makeVariants();
  box = new Container(`dk-test-${process.pid}`, [{ host: variants, inside: "/mnt/bundles" }]);
  await box.start();
});
after(async () => {
  await box?.stop();
  if (variants !== "") await rm(variants, { recursive: true, force: true });
});

async function sh(script: string, timeoutMs = 120000): Promise<{ code: number | null; out: string }> {
  const r = await box.exec(["bash", "-c", script], { timeoutMs });
  return { code: r.code, out: r.stdout + r.stderr };
}

/** POST /api/predict inside the container's network namespace, with the host's Node. */
async function predictInside(): Promise<{ digit: number | null }> {
  const body = JSON.stringify({ strokes: sevenStrokes(), width: 800, height: 480 });
  const code = `fetch("http://127.0.0.1:8080/api/predict",{method:"POST",headers:{"content-type":"application/json"},body:process.argv[1]}).then(async r=>{console.log(r.status+" "+await r.text())})`;
  const r = await box.execInNetwork([process.execPath, "-e", code, body]);
  const [status, json] = [r.stdout.slice(0, 3), r.stdout.slice(4)];
  assert.equal(status, "200", r.stdout + r.stderr);
  return JSON.parse(json) as { digit: number | null };
}

const healthy = async (): Promise<boolean> => (await sh("/opt/digit-kiosk/current/provisioning/health.sh")).code === 0;

/** Restarts the runtime with a drop-in (settings on top of the installed unit). */
async function withDropin(text: string): Promise<void> {
  const r = await sh(`mkdir -p ${path.dirname(DROPIN)} && printf '%s\\n' '[Service]' ${text.split("\n").map((l) => `'${l}'`).join(" ")} > ${DROPIN} && systemctl daemon-reload && systemctl restart ${UNIT}`);
  assert.equal(r.code, 0, r.out);
}

/** Back to the installed unit, healthy. */
async function withoutDropin(): Promise<void> {
  const r = await sh(`rm -f ${DROPIN} && systemctl daemon-reload && systemctl restart ${UNIT}`);
  assert.equal(r.code, 0, r.out);
}

test("install.sh on a booted system starts the runtime: READY after its self-test, then healthy and predicting", { skip }, async (t) => {
  const r = await sh("/mnt/bundles/base/provisioning/install.sh --bundle /mnt/bundles/base --no-packages --health-timeout 60");
  assert.equal(r.code, 0, r.out);
  assert.equal(await box.unitProperty(UNIT, "ActiveState"), "active");
  assert.equal(await box.unitProperty(UNIT, "UnitFileState"), "enabled");
  assert.match(await box.unitProperty(UNIT, "StatusText"), /^serving; self-test prediction 7 /);
  // The runtime runs as its own user; the display unit is enabled but skipped without a GPU or tty1.
  const pid = await box.unitProperty(UNIT, "MainPID");
  const uid = (await sh(`stat -c %U /proc/${pid}`)).out.trim();
  assert.equal(uid, "digit-kiosk");
  assert.equal(await box.unitProperty("digit-kiosk-display.service", "UnitFileState"), "enabled");
  assert.equal(await box.unitProperty("digit-kiosk-display.service", "ConditionResult"), "no");
  assert.equal((await predictInside()).digit, 7);

  // Time from `systemctl start` to healthy (start returns at READY; then /healthz).
  const timings: number[] = [];
  for (let i = 0; i < 3; i++) {
    const m = await sh(`systemctl stop ${UNIT}; t0=$(date +%s%N); systemctl start ${UNIT}; t1=$(date +%s%N); until /opt/digit-kiosk/current/provisioning/health.sh; do sleep 0.02; done; t2=$(date +%s%N); echo $(((t1-t0)/1000000)) $(((t2-t0)/1000000))`);
    assert.equal(m.code, 0, m.out);
    const [ready, health] = m.out.trim().split("\n").pop()!.split(" ").map(Number);
    timings.push(health!);
    t.diagnostic(`systemctl start -> READY ${ready} ms, -> /healthz 200 ${health} ms`);
  }
  t.diagnostic(`median systemctl start -> healthy: ${timings.sort((a, b) => a - b)[1]} ms (x64 container)`);
});

test("WATCHDOG pings keep the runtime alive; a hung runtime is killed by the watchdog and restarted", { skip }, async (t) => {
  t.after(withoutDropin);
  await withDropin("WatchdogSec=2s");
  const invocation = await box.unitProperty(UNIT, "InvocationID");
  await new Promise((r) => setTimeout(r, 7000)); // three and a half watchdog periods
  assert.equal(await box.unitProperty(UNIT, "InvocationID"), invocation, "restarted although it was healthy");
  assert.equal(await box.unitProperty(UNIT, "NRestarts"), "0");
  assert.doesNotMatch((await sh(`journalctl -u ${UNIT} _SYSTEMD_INVOCATION_ID=${invocation} --no-pager -o cat`)).out, /withholding the watchdog ping/);
  const pid = await box.unitProperty(UNIT, "MainPID");
  assert.equal((await sh(`kill -STOP ${pid}`)).code, 0);
  await waitFor(async () => ((await box.unitProperty(UNIT, "NRestarts")) === "1" ? true : undefined), "a watchdog restart", 30000, 200);
  const journal = await sh(`journalctl -u ${UNIT} --no-pager -o cat`);
  assert.match(journal.out, /Watchdog timeout/);
  assert.match(journal.out, /Failed with result 'watchdog'/);
  await waitFor(async () => ((await box.unitProperty(UNIT, "ActiveState")) === "active" && (await healthy()) ? true : undefined), "the restarted runtime", 30000, 200);
});

test("without socat, blocking systemd-notify carries READY and WATCHDOG", { skip }, async (t) => {
  t.after(withoutDropin);
  await withDropin("WatchdogSec=2s\nInaccessiblePaths=/usr/bin/socat");
  const invocation = await box.unitProperty(UNIT, "InvocationID");
  assert.equal(await box.unitProperty(UNIT, "ActiveState"), "active");
  await new Promise((r) => setTimeout(r, 7000));
  assert.equal(await box.unitProperty(UNIT, "InvocationID"), invocation, "the watchdog fired");
  const journal = await sh(`journalctl -u ${UNIT} _SYSTEMD_INVOCATION_ID=${invocation} --no-pager -o cat`);
  assert.match(journal.out, /told systemd we are ready .*"via":"systemd-notify"/);
  assert.doesNotMatch(journal.out, /withholding the watchdog ping/);
});

test("upgrade.sh switches to a good release, rolls a broken one back by itself, and --rollback goes back", { skip }, async () => {
  const good = await sh("/mnt/bundles/good/provisioning/upgrade.sh /mnt/bundles/good --timeout 60");
  assert.equal(good.code, 0, good.out);
  assert.equal((await sh("readlink /opt/digit-kiosk/current")).out.trim(), `releases/${bundle.version}-good`);
  assert.ok(await healthy());

  const broken = await sh("/mnt/bundles/broken/provisioning/upgrade.sh /mnt/bundles/broken --timeout 15");
  assert.equal(broken.code, 1, broken.out);
  assert.match(broken.out, /a broken release/, "shows why the release failed");
  assert.match(broken.out, new RegExp(`rolled back to releases/${bundle.version.replace(/[+.]/g, "\\$&")}-good, which is healthy`));
  assert.equal((await sh("readlink /opt/digit-kiosk/current")).out.trim(), `releases/${bundle.version}-good`);
  assert.equal((await sh("readlink /opt/digit-kiosk/previous")).out.trim(), `releases/${bundle.version}`);
  assert.equal(await box.unitProperty(UNIT, "ActiveState"), "active");
  assert.ok(await healthy());
  assert.equal((await predictInside()).digit, 7);

  const back = await sh("/opt/digit-kiosk/current/provisioning/upgrade.sh --rollback --timeout 60");
  assert.equal(back.code, 0, back.out);
  assert.equal((await sh("readlink /opt/digit-kiosk/current")).out.trim(), `releases/${bundle.version}`);
  assert.ok(await healthy());
});
