// Proves every provisioning shell script is shellcheck-clean and runs with `set -euo pipefail`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { missing, repoRoot, run } from "./helpers.js";

const dir = path.join(repoRoot, "provisioning");

test("shellcheck finds nothing in provisioning/*.sh", { skip: missing({ commands: ["shellcheck"] }) }, async () => {
  const scripts = (await readdir(dir)).filter((f) => f.endsWith(".sh")).map((f) => path.join(dir, f));
  assert.ok(scripts.length >= 4, `expected the provisioning scripts, found ${scripts.join(", ")}`);
  const r = await run("shellcheck", ["--external-sources", "--severity=style", ...scripts], { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test("every executable script starts with set -euo pipefail", async () => {
  for (const f of (await readdir(dir)).filter((f) => f.endsWith(".sh") && f !== "lib.sh")) {
    const text = await readFile(path.join(dir, f), "utf8");
    assert.match(text, /^#!\/usr\/bin\/env bash\n(#.*\n)*set -euo pipefail$/m, `${f} does not start with set -euo pipefail`);
  }
});
