// Proves the config comes from defaults, then the JSON file (CONFIG_FILE or the default path), then the environment; that every problem is reported at once; and that the page gets its part (never the PIN) from GET /api/kiosk-config.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, configFromEnv, DEFAULT_CONFIG } from "../src/config.js";
import type { KioskConfig } from "../src/contracts/api.js";
import { startTestApp } from "./helpers.js";

let dir: string;
const nowhere = { defaultFile: "/nonexistent/digit-kiosk/config.json" };

async function configFile(name: string, value: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof value === "string" ? value : JSON.stringify(value));
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail("expected a ConfigError");
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dk-config-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("configFromEnv", () => {
  test("without a file or variables every key has its default; samples are off", () => {
    const cfg = configFromEnv({}, nowhere);
    assert.deepEqual(cfg, DEFAULT_CONFIG);
    assert.equal(cfg.collectSamples, false);
    assert.equal(cfg.samplesDir, "/var/lib/digit-kiosk/samples");
    assert.equal(cfg.language, "en");
    assert.equal(cfg.operatorPin, null);
  });

  test("the file sets keys, relative folders are taken from the file's folder, and the environment wins", async () => {
    const file = await configFile("ok.json", {
      port: 9000,
      collectSamples: true,
      samplesDir: "samples",
      language: "de",
      operatorPin: "1234",
      attractAfterSeconds: 45,
      clearAfterSeconds: 0,
      classroom: true,
    });
    const cfg = configFromEnv({ CONFIG_FILE: file, PORT: "9100", KIOSK_LANGUAGE: "fr", COLLECT_SAMPLES: "false" }, nowhere);
    assert.equal(cfg.port, 9100, "the environment overrides the file");
    assert.equal(cfg.language, "fr");
    assert.equal(cfg.collectSamples, false);
    assert.equal(cfg.samplesDir, path.join(dir, "samples"));
    assert.equal(cfg.operatorPin, "1234");
    assert.equal(cfg.attractAfterSeconds, 45);
    assert.equal(cfg.clearAfterSeconds, 0);
    assert.equal(cfg.classroom, true);
    assert.equal(cfg.classroomButton, true, "keys the file leaves out keep their defaults");
  });

  test("the default file is read when it exists and CONFIG_FILE is not set", async () => {
    const file = await configFile("default.json", { language: "de", maxSamples: 10 });
    const cfg = configFromEnv({}, { defaultFile: file });
    assert.equal(cfg.language, "de");
    assert.equal(cfg.maxSamples, 10);
  });

  test("every problem of the file and the environment is reported at once", async () => {
    const file = await configFile("bad.json", {
      collectSamples: "yes",
      language: "xx",
      operatorPin: 1234,
      attractAfterSeconds: 0.5,
      samplesDir: "",
      colectSamples: true,
    });
    const problems = problemsOf(() => configFromEnv({ CONFIG_FILE: file, MAX_BATCH: "abc", PORT: "99999" }, nowhere));
    const text = problems.join("\n");
    for (const needle of ["collectSamples", "language", "operatorPin", "attractAfterSeconds", "samplesDir", 'unknown key "colectSamples"', "MAX_BATCH", '"abc"', "PORT"]) {
      assert.ok(text.includes(needle), `the problems name ${needle}:\n${text}`);
    }
    assert.equal(problems.length, 8);
  });

  test("a missing or broken file is a problem, not a silent default", async () => {
    assert.match(problemsOf(() => configFromEnv({ CONFIG_FILE: path.join(dir, "missing.json") }, nowhere)).join(), /ENOENT/);
    const broken = await configFile("broken.json", "{ language: ");
    assert.match(problemsOf(() => configFromEnv({ CONFIG_FILE: broken }, nowhere)).join(), /not valid JSON/);
    const list = await configFile("list.json", [1, 2]);
    assert.match(problemsOf(() => configFromEnv({ CONFIG_FILE: list }, nowhere)).join(), /JSON object/);
  });

  test("the runtime process refuses to start on a bad config file, naming the problem", async () => {
    const file = await configFile("start.json", { language: "klingon" });
    const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/main.ts");
    const child = spawn(process.execPath, ["--import", "tsx", main], { env: { ...process.env, CONFIG_FILE: file, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    assert.equal(code, 1);
    assert.match(out, /start\.json: language must be one of .*klingon/);
  });
});

describe("GET /api/kiosk-config", () => {
  test("gives the page its settings and whether an operator PIN is set, never the PIN", async () => {
    const app = await startTestApp({ language: "de", operatorPin: "987654", attractAfterSeconds: 20, clearAfterSeconds: 10, classroom: true, classroomButton: false });
    try {
      const res = await fetch(`${app.url}/api/kiosk-config`);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.ok(!text.includes("987654"), "the PIN stays on the server");
      const body = JSON.parse(text) as KioskConfig;
      assert.deepEqual(body, {
        language: "de",
        attractAfterSeconds: 20,
        clearAfterSeconds: 10,
        collectSamples: false,
        operator: true,
        classroom: true,
        classroomButton: false,
      });
    } finally {
      await app.stop();
    }
  });
});
