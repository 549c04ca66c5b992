// Proves the runtime's sd_notify liveness over a real unix datagram socket: READY only after a self-test prediction succeeds, WATCHDOG only while predictions succeed, STOPPING on stop.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ModelStore } from "../../src/model/store.js";
import { Predictor } from "../../src/predictor.js";
import { HttpServer } from "../../src/server/http.js";
import { SystemdLiveness } from "../../src/systemd/liveness.js";
import { SystemdNotifier, formatMessage, watchdogPeriodMs } from "../../src/systemd/notifier.js";
import { httpSelfTest, localBaseUrl, SELF_TEST_DRAWING } from "../../src/systemd/selftest.js";
import { socatAddress } from "../../src/systemd/transport.js";
import { startTestApp } from "../helpers.js";
import { missing, waitFor } from "./helpers.js";

const skip = missing({ commands: ["socat"] });

/** A unix datagram socket like systemd's notify socket (socat UNIX-RECV), collecting what arrives. */
class NotifyListener {
  private child: ChildProcess | null = null;
  private text = "";
  constructor(readonly socketPath: string) {}

  async start(): Promise<void> {
    this.child = spawn("socat", ["-u", `UNIX-RECV:${this.socketPath}`, "STDOUT"], { stdio: ["ignore", "pipe", "inherit"] });
    this.child.stdout!.on("data", (d: Buffer) => (this.text += d.toString("utf8")));
    await waitFor(async () => ((await stat(this.socketPath)).isSocket() ? true : undefined), "the notify socket", 5000, 20);
  }

  /** Every assignment received so far, in order. */
  assignments(): string[] {
    return this.text.split("\n").filter((l) => l.length > 0);
  }

  count(key: string): number {
    return this.assignments().filter((a) => a.startsWith(`${key}=`)).length;
  }

  async stop(): Promise<void> {
    this.child?.kill();
    await rm(this.socketPath, { force: true });
  }
}

let dir = "";
let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dk-notify-"));
  app = await startTestApp();
});
after(async () => {
  await app.stop();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function listener(): Promise<NotifyListener> {
  const l = new NotifyListener(path.join(dir, `notify-${++n}.sock`));
  await l.start();
  return l;
}

/** 320 ms: not a multiple of 3, like systemd's 2 s, so the self-test period is fractional. */
function liveness(l: NotifyListener, url: string, watchdogMs: number | null = 320): SystemdLiveness {
  return new SystemdLiveness(httpSelfTest(url), new SystemdNotifier({ NOTIFY_SOCKET: l.socketPath }), { watchdogMs, readyRetryMs: 50 });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("READY comes after a successful self-test prediction, then WATCHDOG keeps coming while predictions succeed", { skip }, async () => {
  const l = await listener();
  const live = liveness(l, app.url);
  await live.start();
  try {
    await waitFor(async () => (l.count("WATCHDOG") >= 3 ? true : undefined), "three WATCHDOG pings", 10000);
    const got = l.assignments();
    assert.equal(got[0], "READY=1", got.join(" | "));
    assert.match(got[1] ?? "", /^STATUS=serving; self-test prediction 7 /);
    assert.ok(got.indexOf("READY=1") < got.indexOf("WATCHDOG=1"));
    assert.equal(l.count("READY"), 1);
  } finally {
    await live.stop();
    await l.stop();
  }
});

test("no READY while the self-test prediction fails (nothing listening)", { skip }, async () => {
  const l = await listener();
  const closedPort = 1; // tcpmux: nothing listens on it here
  const live = liveness(l, `http://127.0.0.1:${closedPort}`);
  await live.start();
  try {
    await waitFor(async () => (l.count("STATUS") >= 1 ? true : undefined), "a STATUS about the failing self-test", 10000);
    await sleep(500);
    assert.equal(l.count("READY"), 0, l.assignments().join(" | "));
    assert.equal(l.count("WATCHDOG"), 0);
    assert.match(l.assignments().find((a) => a.startsWith("STATUS="))!, /^STATUS=self-test failing: /);
  } finally {
    await live.stop();
    await l.stop();
  }
});

test("WATCHDOG stops while the runtime cannot predict (no model: 503) and resumes when it can again", { skip }, async () => {
  const l = await listener();
  // A real server whose model store holds no model answers 503 to every prediction.
  const models = new ModelStore("/nonexistent", { maxBatch: 1, maxQueue: 1 });
  const modelless = new HttpServer({ host: "127.0.0.1", port: 0, models, predictor: new Predictor(models, 0.5), staticFiles: new Map() });
  await modelless.start();
  // The self-test follows a switchable target: first the working app, then the model-less server, then the app again.
  let target = app.url;
  const live = new SystemdLiveness((ms) => httpSelfTest(target)(ms), new SystemdNotifier({ NOTIFY_SOCKET: l.socketPath }), { watchdogMs: 300, readyRetryMs: 50 });
  await live.start();
  try {
    await waitFor(async () => (l.count("WATCHDOG") >= 2 ? true : undefined), "WATCHDOG from the working runtime", 10000);
    target = `http://127.0.0.1:${modelless.port}`;
    await waitFor(async () => (l.assignments().some((a) => /^STATUS=self-test failing: .*503/.test(a)) ? true : undefined), "a failing self-test", 10000);
    const pingsWhileBroken = l.count("WATCHDOG");
    await sleep(1000); // ten self-test periods
    assert.equal(l.count("WATCHDOG"), pingsWhileBroken, "a WATCHDOG ping was sent while predictions failed");
    target = app.url;
    await waitFor(async () => (l.count("WATCHDOG") > pingsWhileBroken ? true : undefined), "WATCHDOG again", 10000);
    assert.equal(l.count("READY"), 1);
  } finally {
    await live.stop();
    await modelless.stop();
    await l.stop();
  }
});

test("stop() sends STOPPING=1 and ends the socat relay", { skip }, async () => {
  const l = await listener();
  const live = liveness(l, app.url, null);
  await live.start();
  await waitFor(async () => (l.count("READY") === 1 ? true : undefined), "READY", 10000);
  await live.stop();
  await waitFor(async () => (l.count("STOPPING") === 1 ? true : undefined), "STOPPING", 5000);
  // Without a watchdog there are no pings at all.
  assert.equal(l.count("WATCHDOG"), 0);
  await l.stop();
});

test("without NOTIFY_SOCKET the liveness reporter does nothing (development, tests)", async () => {
  const notifier = new SystemdNotifier({});
  assert.equal(notifier.enabled, false);
  const live = new SystemdLiveness(() => Promise.reject(new Error("must not run")), notifier);
  await live.start();
  await live.stop();
});

test("the watchdog period follows WATCHDOG_USEC, only for our own pid", () => {
  assert.equal(watchdogPeriodMs({ WATCHDOG_USEC: "30000000" }), 30000);
  assert.equal(watchdogPeriodMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: String(process.pid) }), 30000);
  assert.equal(watchdogPeriodMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "1" }), null);
  assert.equal(watchdogPeriodMs({}), null);
  assert.equal(watchdogPeriodMs({ WATCHDOG_USEC: "0" }), null);
});

test("messages are single-line assignments; socat addresses path and abstract sockets", () => {
  assert.equal(formatMessage({ READY: 1, STATUS: "a\nb" }), "READY=1\nSTATUS=a b");
  assert.equal(socatAddress("/run/systemd/notify"), "UNIX-SENDTO:/run/systemd/notify");
  assert.equal(socatAddress("@/org/freedesktop/systemd1/notify/123"), "ABSTRACT-SENDTO:/org/freedesktop/systemd1/notify/123");
  assert.equal(socatAddress("/tmp/a,b"), null);
  assert.equal(socatAddress("vsock:2:1234"), null);
});

test("the self-test reaches a server listening on any address, and its drawing is a valid request", () => {
  assert.equal(localBaseUrl("0.0.0.0", 8080), "http://127.0.0.1:8080");
  assert.equal(localBaseUrl("::", 8080), "http://[::1]:8080");
  assert.equal(localBaseUrl("127.0.0.1", 80), "http://127.0.0.1:80");
  assert.equal(SELF_TEST_DRAWING.strokes.length, 1);
  assert.ok(SELF_TEST_DRAWING.strokes[0]!.every(([x, y]) => x >= 0 && x <= SELF_TEST_DRAWING.width && y >= 0 && y <= SELF_TEST_DRAWING.height));
});
