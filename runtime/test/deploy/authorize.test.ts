// Proves provisioning/deploy/authorize-key.sh: shellcheck-clean with set -euo pipefail; in a staging root it
// writes restricted key lines and an sshd drop-in idempotently, and sshd's effective configuration for the
// kiosk user is then: keys from the root-owned file, the receiver forced, no tty, no forwarding (others untouched).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { repoRoot, SSHD } from "./sshd.js";

const script = path.join(repoRoot, "provisioning", "deploy", "authorize-key.sh");
const has = (c: string): boolean => spawnSync("sh", ["-c", `command -v ${c}`], { stdio: "ignore" }).status === 0;
const temp: string[] = [];
after(async () => {
  for (const d of temp) await rm(d, { recursive: true, force: true });
});

test("authorize-key.sh is shellcheck-clean and starts with set -euo pipefail", { skip: has("shellcheck") ? undefined : "skipped: needs shellcheck" }, async () => {
  const r = spawnSync("shellcheck", ["--severity=style", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(await readFile(script, "utf8"), /^#!\/usr\/bin\/env bash\n(#.*\n)*set -euo pipefail$/m);
});

test("authorize-key.sh writes restricted keys and a forcing sshd drop-in, idempotently", { skip: has("ssh-keygen") ? undefined : "skipped: needs ssh-keygen" }, async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), "dk-authorize-"));
  temp.push(root);
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "operator", "-f", path.join(root, "op")]);
  const pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
  await writeFile(path.join(root, "signing.pub"), pem);
  const run = (): ReturnType<typeof spawnSync> => spawnSync("bash", [script, "--root", root, "--key", path.join(root, "op.pub"), "--signing-key", path.join(root, "signing.pub")], { encoding: "utf8" });
  const first = run();
  assert.equal(first.status, 0, String(first.stderr));
  const keys = await readFile(path.join(root, "etc/digit-kiosk/ssh/authorized_keys"), "utf8");
  assert.match(keys, /^restrict,command="\/opt\/digit-kiosk\/current\/node\/bin\/node \/opt\/digit-kiosk\/current\/app\/runtime\/dist\/deploy\/main\.js" ssh-ed25519 \S+ operator\n$/);
  assert.equal((await stat(path.join(root, "etc/digit-kiosk/ssh/authorized_keys"))).mode & 0o777, 0o644);
  assert.equal(await readFile(path.join(root, "etc/digit-kiosk/model-signing.pub"), "utf8"), pem);
  const again = run();
  assert.equal(again.status, 0);
  assert.doesNotMatch(String(again.stderr), /wrote/, "a second run changes nothing");
  assert.equal(await readFile(path.join(root, "etc/digit-kiosk/ssh/authorized_keys"), "utf8"), keys);
  const refused = spawnSync("bash", [script, "--root", root, "--key", path.join(root, "signing.pub")], { encoding: "utf8" });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /not an ssh public key line/);

  if (spawnSync("test", ["-x", SSHD]).status !== 0) return;
  // sshd's effective settings with the drop-in included the way Debian's sshd_config does.
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(root, "hostkey")]);
  const main = path.join(root, "sshd_config");
  await writeFile(main, `Include ${root}/etc/ssh/sshd_config.d/*.conf\nHostKey ${root}/hostkey\nX11Forwarding yes\nSubsystem sftp /usr/lib/openssh/sftp-server\n`);
  const effective = (user: string): string => spawnSync(SSHD, ["-T", "-f", main, "-C", `user=${user},host=h,addr=192.0.2.1`], { encoding: "utf8" }).stdout;
  const kiosk = effective("digit-kiosk");
  assert.match(kiosk, /^forcecommand \/opt\/digit-kiosk\/current\/node\/bin\/node .*deploy\/main\.js$/m);
  assert.match(kiosk, /^authorizedkeysfile \/etc\/digit-kiosk\/ssh\/authorized_keys$/m);
  for (const line of ["permittty no", "allowtcpforwarding no", "allowagentforwarding no", "allowstreamlocalforwarding no", "x11forwarding no", "permittunnel no", "passwordauthentication no"]) {
    assert.match(kiosk, new RegExp(`^${line}$`, "m"));
  }
  const other = effective("operator");
  assert.match(other, /^forcecommand none$/m);
  assert.match(other, /^x11forwarding yes$/m);
});
