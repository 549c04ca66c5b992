// Proves provisioning/install.sh --root stages a complete device from the x64 bundle (release, links, model, users, config, enabled units that verify, boot options), that a second run changes nothing, and that --dry-run changes nothing.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ensureBundle, missing, repoRoot, run, type BuiltBundle } from "./helpers.js";

const skip = missing({ root: true, commands: ["systemd-sysusers", "systemctl", "systemd-analyze", "unshare", "cage", "chromium"] });
const install = path.join(repoRoot, "provisioning", "install.sh");
const CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=5e3da3da-02 rootfstype=ext4 fsck.repair=yes rootwait";

let bundle: BuiltBundle;
before(async () => {
  if (skip === undefined) bundle = await ensureBundle("x64");
});

/** A fresh staging root with a Raspberry Pi boot partition's cmdline.txt. */
async function freshRoot(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), "dk-stage-"));
  await mkdir(path.join(root, "boot", "firmware"), { recursive: true });
  await writeFile(path.join(root, "boot", "firmware", "cmdline.txt"), CMDLINE + "\n");
  return root;
}

async function provision(root: string, ...args: string[]): Promise<string> {
  const r = await run("bash", [install, "--root", root, "--bundle", bundle.bundle, ...args]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stderr;
}

/** Every path under root with its type, mode, size, content hash or link target (directory mtimes left out). */
async function snapshot(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const full = path.join(dir, name);
      const info = await lstat(full);
      const rel = path.relative(root, full);
      if (info.isSymbolicLink()) out.set(rel, `link ${await readlink(full)}`);
      else if (info.isDirectory()) {
        out.set(rel, `dir ${info.mode.toString(8)}`);
        await walk(full);
      } else out.set(rel, `file ${info.mode.toString(8)} ${info.size} ${createHash("sha256").update(await readFile(full)).digest("hex")} ${info.mtimeMs}`);
    }
  };
  await walk(root);
  return out;
}

function diff(a: Map<string, string>, b: Map<string, string>): string[] {
  const changes: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) changes.push(`${k}: ${v} -> ${b.get(k) ?? "gone"}`);
  for (const k of b.keys()) if (!a.has(k)) changes.push(`${k}: new`);
  return changes;
}

const read = (root: string, p: string): Promise<string> => readFile(path.join(root, p), "utf8");
const link = (root: string, p: string): Promise<string> => readlink(path.join(root, p));

test("install.sh --root stages the release, model, users, config, units and boot options", { skip }, async (t) => {
  const root = await freshRoot();
  t.after(() => rm(root, { recursive: true, force: true }));
  await provision(root, "--rotate", "90");
  const release = `opt/digit-kiosk/releases/${bundle.version}`;

  // The app: a release with its own Node, and current pointing at it.
  assert.equal(await link(root, "opt/digit-kiosk/current"), `releases/${bundle.version}`);
  for (const f of ["node/bin/node", "app/runtime/dist/main.js", "app/kiosk/dist/index.html", "app/runtime/models/default/model.onnx", "provisioning/health.sh", "bundle.env"]) {
    await lstat(path.join(root, release, f));
  }
  assert.ok(((await lstat(path.join(root, release, "node/bin/node"))).mode & 0o111) !== 0, "node is executable");

  // The model store: models/<sha256>/ and current -> it, owned by the runtime user.
  const models = "var/lib/digit-kiosk/models";
  assert.equal(await link(root, `${models}/current`), bundle.modelSha256);
  const manifest = JSON.parse(await read(root, `${models}/${bundle.modelSha256}/manifest.json`)) as { sha256: string };
  assert.equal(manifest.sha256, bundle.modelSha256);

  // Users: dedicated system users without a login shell; the display user may use the GPU and input.
  const passwd = await read(root, "etc/passwd");
  const runtimeUser = /^digit-kiosk:x:(\d+):(\d+):[^:]*:\/var\/lib\/digit-kiosk:\/usr\/sbin\/nologin$/m.exec(passwd);
  assert.ok(runtimeUser !== null, passwd);
  assert.match(passwd, /^digit-kiosk-display:x:\d+:\d+:[^:]*:[^:]*:\/usr\/sbin\/nologin$/m);
  assert.ok(Number(runtimeUser[1]) < 1000, "a system uid");
  const group = await read(root, "etc/group");
  for (const g of ["video", "render", "input"]) assert.match(group, new RegExp(`^${g}:x:\\d+:.*\\bdigit-kiosk-display\\b`, "m"));
  assert.equal((await lstat(path.join(root, models, bundle.modelSha256, "model.onnx"))).uid, Number(runtimeUser[1]));

  // Configuration.
  assert.deepEqual(JSON.parse(await read(root, "etc/digit-kiosk/config.json")), {}, "every setting at its default");
  const display = await read(root, "etc/digit-kiosk/display.env");
  assert.match(display, /^ROTATION=90$/m);
  assert.match(display, /^CAGE_ROTATE=-r$/m);
  assert.match(display, /^KIOSK_URL=http:\/\/127\.0\.0\.1:8080\/$/m);
  assert.match(await read(root, "etc/pam.d/digit-kiosk-display"), /^session\s+required\s+pam_systemd\.so$/m);

  // Units: installed as in the repository, enabled, and the machine boots to the display.
  for (const unit of ["digit-kiosk.service", "digit-kiosk-display.service"]) {
    assert.equal(await read(root, `etc/systemd/system/${unit}`), await readFile(path.join(repoRoot, "systemd", unit), "utf8"));
  }
  assert.equal(await link(root, "etc/systemd/system/multi-user.target.wants/digit-kiosk.service"), "/etc/systemd/system/digit-kiosk.service");
  assert.equal(await link(root, "etc/systemd/system/graphical.target.wants/digit-kiosk-display.service"), "/etc/systemd/system/digit-kiosk-display.service");
  assert.equal(await link(root, "etc/systemd/system/default.target"), "/lib/systemd/system/graphical.target");

  // Boot: no console blanking, no console cursor; the rest of the line untouched.
  assert.equal((await read(root, "boot/firmware/cmdline.txt")).trim(), `${CMDLINE} consoleblank=0 vt.global_cursor_default=0`);

  // The units as installed verify in the staged root (host /usr for systemd's units, cage, chromium).
  await mkdir(path.join(root, "usr"));
  const script = 'root=$1; shift; mount --bind /usr "$root/usr" && exec systemd-analyze verify --root="$root" "$@"';
  const v = await run("unshare", ["-m", "--propagation", "private", "sh", "-c", script, "sh", root, "digit-kiosk.service", "digit-kiosk-display.service"], { cwd: os.tmpdir() });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.equal((v.stdout + v.stderr).trim(), "");
});

test("a second run changes nothing; a new rotation changes only display.env; the operator's config.json survives", { skip }, async (t) => {
  const root = await freshRoot();
  t.after(() => rm(root, { recursive: true, force: true }));
  await provision(root);
  const operatorConfig = '{ "language": "de", "collectSamples": true }\n';
  await writeFile(path.join(root, "etc/digit-kiosk/config.json"), operatorConfig);
  const before = await snapshot(root);

  const log = await provision(root);
  assert.deepEqual(diff(before, await snapshot(root)), []);
  assert.doesNotMatch(log, /\b(wrote|linked|installed) /, log);

  await provision(root, "--rotate", "180");
  const changed = diff(before, await snapshot(root));
  assert.deepEqual(
    changed.map((c) => c.split(":")[0]),
    ["etc/digit-kiosk/display.env"],
  );
  assert.match(await read(root, "etc/digit-kiosk/display.env"), /^CAGE_ROTATE=-r -r$/m);
  assert.equal(await read(root, "etc/digit-kiosk/config.json"), operatorConfig);
});

test("--dry-run prints what it would do and changes nothing", { skip }, async (t) => {
  const root = await freshRoot();
  t.after(() => rm(root, { recursive: true, force: true }));
  const before = await snapshot(root);
  const log = await provision(root, "--dry-run", "--rotate", "270", "--read-only-root");
  assert.deepEqual(diff(before, await snapshot(root)), []);
  for (const line of [
    /would run: systemd-sysusers/,
    new RegExp(`would install release /opt/digit-kiosk/releases/${bundle.version.replace(/[+.]/g, "\\$&")}`),
    /would install model \/var\/lib\/digit-kiosk\/models\/[0-9a-f]{64}/,
    /would write \/etc\/systemd\/system\/digit-kiosk\.service/,
    /would write \/etc\/digit-kiosk\/display\.env/,
    /would run: systemctl .*enable digit-kiosk\.service digit-kiosk-display\.service/,
    /would link \/opt\/digit-kiosk\/current -> releases\//,
    /would write \/boot\/firmware\/cmdline\.txt/,
    /would run: raspi-config nonint do_overlayfs 0/,
  ]) {
    assert.match(log, line);
  }
});

test("install.sh refuses bad options with a message", { skip }, async (t) => {
  const root = await freshRoot();
  t.after(() => rm(root, { recursive: true, force: true }));
  const r = await run("bash", [install, "--root", root, "--bundle", bundle.bundle, "--rotate", "45"]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--rotate takes 0, 90, 180 or 270/);
  const r2 = await run("bash", [install, "--root", root, "--bundle", path.join(root, "nope.tar.gz")]);
  assert.notEqual(r2.code, 0);
  assert.match(r2.stderr, /no bundle at/);
});
