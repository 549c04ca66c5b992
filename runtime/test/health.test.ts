// Proves device health: Pi throttling flags and the CPU thermal zone are decoded from sysfs, a snapshot holds memory, disk, load and uptime and is cached, and GET /api/status gives it (with the model) only for the operator PIN, refusing guessers.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { OPERATOR_PIN_HEADER, type OperatorStatus } from "../src/contracts/api.js";
import { HealthReporter, readThermalZone } from "../src/health/reporter.js";
import { parseThrottled } from "../src/health/throttling.js";
import { defaultModel, startTestApp } from "./helpers.js";

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "dk-health-"));
  for (const [zone, type, temp] of [
    ["thermal_zone0", "acpitz", "30000"],
    ["thermal_zone1", "cpu-thermal", "48312"],
  ] as const) {
    await mkdir(path.join(root, "thermal", zone), { recursive: true });
    await writeFile(path.join(root, "thermal", zone, "type"), `${type}\n`);
    await writeFile(path.join(root, "thermal", zone, "temp"), `${temp}\n`);
  }
  await writeFile(path.join(root, "get_throttled"), "50005\n");
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("reading the device", () => {
  test("get_throttled: now and since-boot flags", () => {
    assert.deepEqual(parseThrottled("50005\n"), {
      raw: "0x50005",
      underVoltage: true,
      frequencyCapped: false,
      throttled: true,
      softTemperatureLimit: false,
      occurred: true,
    });
    assert.deepEqual(parseThrottled("throttled=0x0"), { raw: "0x0", underVoltage: false, frequencyCapped: false, throttled: false, softTemperatureLimit: false, occurred: false });
    assert.equal(parseThrottled("0x20000")?.occurred, true, "capped earlier, fine now");
    assert.equal(parseThrottled("not a number"), null);
  });

  test("the CPU's thermal zone is preferred over others", async () => {
    assert.equal(await readThermalZone(path.join(root, "thermal")), 48.3);
    assert.equal(await readThermalZone(path.join(root, "none")), null);
  });

  test("a snapshot has every part, and is served from the cache while fresh", async () => {
    const health = new HealthReporter({ diskPath: path.join(root, "samples", "not-yet"), thermalRoot: path.join(root, "thermal"), throttledFile: path.join(root, "get_throttled") });
    await health.start();
    const [a, b] = await Promise.all([health.snapshot(), health.snapshot()]);
    assert.equal(a, b, "one reading for callers at the same time");
    assert.equal(a.cpuTemperatureC, 48.3);
    assert.equal(a.throttling?.underVoltage, true);
    assert.ok(a.memory !== null && a.memory.totalBytes > 0 && a.memory.availableBytes > 0 && a.memory.availableBytes <= a.memory.totalBytes);
    assert.ok(a.disk !== null && a.disk.totalBytes > 0, "the disk of the nearest existing folder");
    assert.equal(a.disk.path, root);
    assert.ok(a.load !== null && a.load.percent >= 0 && a.load.percent <= 100);
    assert.ok(a.systemUptimeS > 0);
    assert.equal(await health.snapshot(), a, "cached");
    await health.stop();
  });

  test("where the device tells nothing, the parts are null rather than errors", async () => {
    const health = new HealthReporter({ diskPath: "/", thermalRoot: path.join(root, "none"), throttledFile: path.join(root, "none") });
    const snapshot = await health.snapshot();
    assert.equal(snapshot.throttling, null);
    assert.ok(snapshot.memory !== null);
    await health.stop();
  });
});

describe("GET /api/status", () => {
  let app: Awaited<ReturnType<typeof startTestApp>>;
  before(async () => {
    app = await startTestApp({ operatorPin: "4321", samplesDir: path.join(root, "samples") });
  });
  after(async () => {
    await app.stop();
  });

  const status = (pin?: string) => fetch(`${app.url}/api/status`, { headers: pin === undefined ? {} : { [OPERATOR_PIN_HEADER]: pin } });

  test("with the PIN: the model and the device's health", async () => {
    const res = await status("4321");
    assert.equal(res.status, 200);
    const body = (await res.json()) as OperatorStatus;
    assert.equal(body.model.name, defaultModel().name);
    assert.match(body.model.sha256, /^[0-9a-f]{64}$/);
    assert.ok(["none", "int8-qdq"].includes(body.model.quantization));
    assert.ok(body.health.memory !== null && body.health.disk !== null);
    assert.deepEqual(body.samples, { collecting: false, count: 0, dir: path.join(root, "samples") });
    assert.deepEqual(body.feedback, { right: 0, wrong: 0 });
    assert.equal(body.runtime.node, process.version);
  });

  test("without it, or with a wrong one: 403; after five wrong ones even the right one waits (429)", async () => {
    assert.equal((await status()).status, 403);
    for (let i = 0; i < 3; i++) assert.equal((await status("0000")).status, 403);
    assert.equal((await status("4321")).status, 200);
    assert.equal((await status("0000")).status, 403);
    const locked = await status("4321");
    assert.equal(locked.status, 429);
    assert.equal(((await locked.json()) as { error: { code: string } }).error.code, "too_many_requests");
  });

  test("with no operatorPin in the config the overlay is off: 403 for everyone", async () => {
    const bare = await startTestApp();
    try {
      const res = await fetch(`${bare.url}/api/status`, { headers: { [OPERATOR_PIN_HEADER]: "" } });
      assert.equal(res.status, 403);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /operatorPin/);
    } finally {
      await bare.stop();
    }
  });
});
