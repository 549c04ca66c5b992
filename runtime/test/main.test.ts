// Proves the runtime process starts from the environment, serves, and exits cleanly (code 0) on SIGTERM; and that a bad config or model makes start-up fail loudly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/main.ts");

function run(env: Record<string, string>): { child: ReturnType<typeof spawn>; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", main], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(predicate: () => boolean, what: string, limitMs = 30000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("SIGTERM stops a serving runtime with exit code 0", async (t) => {
  const p = run({ PORT: "0", HOST: "127.0.0.1" });
  t.after(() => p.child.kill("SIGKILL"));
  const readyLine = /\[main\] ready \{"url":"http:\/\/127\.0\.0\.1:(\d+)"/;
  await waitFor(() => readyLine.test(p.output()), "the ready line");
  const port = Number(readyLine.exec(p.output())![1]);
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  assert.equal(res.status, 200);
  p.child.kill("SIGTERM");
  assert.equal(await p.exited, 0);
  assert.match(p.output(), /shutting down/);
});

test("an invalid config fails start-up with every problem named", async (t) => {
  const p = run({ PORT: "99999", CONFIDENCE_THRESHOLD: "2" });
  t.after(() => p.child.kill("SIGKILL"));
  assert.equal(await p.exited, 1);
  assert.match(p.output(), /PORT/);
  assert.match(p.output(), /CONFIDENCE_THRESHOLD/);
});

test("a missing model fails start-up clearly", async (t) => {
  const p = run({ PORT: "0", MODEL_DIR: "/nonexistent/model" });
  t.after(() => p.child.kill("SIGKILL"));
  assert.equal(await p.exited, 1);
  assert.match(p.output(), /manifest\.json/);
});
