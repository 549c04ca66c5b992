// Proves the real runtime on an ephemeral port answers the API contract over HTTP and WebSocket, and that bad input gets the contract's errors without hurting the server.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { LIMITS } from "../src/contracts/api.js";
import { postJson, sevenStrokes, startTestApp, TestSocket } from "./helpers.js";

let app: Awaited<ReturnType<typeof startTestApp>>;
before(async () => {
  app = await startTestApp();
});
after(async () => {
  await app.stop();
});

const seven = () => ({ strokes: sevenStrokes(), width: 800, height: 480 });

describe("HTTP", () => {
  test("GET /healthz reports the loaded model", async () => {
    const res = await fetch(`${app.url}/healthz`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; model: { name: string; version: string; sha256: string }; uptimeS: number };
    assert.equal(body.status, "ok");
    assert.match(body.model.sha256, /^[0-9a-f]{64}$/);
    assert.ok(body.model.name.length > 0 && body.model.version.length > 0);
    assert.equal(typeof body.uptimeS, "number");
  });

  test("GET / serves the kiosk page", async () => {
    const res = await fetch(`${app.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await res.text(), /digit-kiosk test/);
  });

  test("POST /api/predict recognizes a 7 drawn as strokes", async () => {
    const { status, json } = await postJson(`${app.url}/api/predict`, seven());
    assert.equal(status, 200, JSON.stringify(json));
    assert.equal(json.digit, 7);
    assert.equal(json.confident, true);
    const probs = json.probabilities as number[];
    assert.equal(probs.length, 10);
    assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    assert.equal(json.confidence, Math.max(...probs));
    assert.equal(typeof json.elapsedMs, "number");
    assert.deepEqual(Object.keys(json.model as object).sort(), ["name", "version"]);
  });

  test("an empty drawing is answered with digit null", async () => {
    const { status, json } = await postJson(`${app.url}/api/predict`, { strokes: [], width: 800, height: 480 });
    assert.equal(status, 200);
    assert.equal(json.digit, null);
    assert.equal(json.confident, false);
  });

  const bad: Array<[string, unknown, number, string?]> = [
    ["not JSON", "{strokes:", 400, "invalid_json"],
    ["an array", [], 400],
    ["null", null, 400],
    ["a number", 7, 400],
    ["no strokes", { width: 10, height: 10 }, 400],
    ["strokes not an array", { strokes: "7", width: 10, height: 10 }, 400],
    ["negative width", { strokes: [], width: -1, height: 10 }, 400],
    ["string height", { strokes: [], width: 10, height: "10" }, 400],
    ["huge surface", { strokes: [], width: 1e9, height: 10 }, 400],
    ["a point with one coordinate", { strokes: [[[1]]], width: 10, height: 10 }, 400],
    ["a point with four numbers", { strokes: [[[1, 2, 3, 4]]], width: 10, height: 10 }, 400],
    ["a string coordinate", { strokes: [[[1, "2"]]], width: 10, height: 10 }, 400],
    ["a null coordinate", { strokes: [[[null, 2]]], width: 10, height: 10 }, 400],
    ["a coordinate out of range", { strokes: [[[1e300, 2]]], width: 10, height: 10 }, 400],
    ["an empty stroke", { strokes: [[]], width: 10, height: 10 }, 400],
    ["a stroke that is not an array", { strokes: [5], width: 10, height: 10 }, 400],
    ["deeply nested arrays", "[".repeat(100000) + "]".repeat(100000), 400],
    ["too many strokes", { strokes: Array.from({ length: LIMITS.maxStrokes + 1 }, () => [[1, 1]]), width: 10, height: 10 }, 413],
    ["too many points", { strokes: [Array.from({ length: LIMITS.maxPointsTotal + 1 }, () => [1, 1])], width: 10, height: 10 }, 413],
  ];
  for (const [name, body, status, code] of bad) {
    test(`bad body (${name}) gets ${status} naming the problem`, async () => {
      const res = await postJson(`${app.url}/api/predict`, body);
      assert.equal(res.status, status);
      const err = res.json.error as { code: string; message: string };
      assert.equal(typeof err.message, "string");
      assert.ok(err.message.length > 5);
      if (code !== undefined) assert.equal(err.code, code);
    });
  }

  test("the error message names the bad field", async () => {
    const res = await postJson(`${app.url}/api/predict`, { strokes: [[[1, 2], [3, "x"]]], width: 0, height: 10 });
    const msg = (res.json.error as { message: string }).message;
    assert.match(msg, /width/);
    assert.match(msg, /strokes\[0\]\[1\]\[1\]/);
  });

  test("a body over the size cap gets 413", async () => {
    const huge = JSON.stringify({ strokes: [], width: 10, height: 10, pad: "x".repeat(LIMITS.maxBodyBytes + 10) });
    const res = await postJson(`${app.url}/api/predict`, huge);
    assert.equal(res.status, 413);
  });

  test("a streamed body over the cap without content-length gets 413", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > LIMITS.maxBodyBytes * 2) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const res = await fetch(`${app.url}/api/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit).catch((err: unknown) => err as Error);
    // The server answers 413 and closes; the client may see the answer or the closed connection.
    if (res instanceof Response) assert.equal(res.status, 413);
    else assert.ok(res instanceof Error);
  });

  test("wrong content types get 415", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", ""]) {
      const res = await fetch(`${app.url}/api/predict`, { method: "POST", headers: type ? { "content-type": type } : {}, body: JSON.stringify(seven()) });
      assert.equal(res.status, 415, type);
      const body = (await res.json()) as { error: { code: string } };
      assert.equal(body.error.code, "unsupported_media_type");
    }
  });

  test("GET /api/predict is 405 and unknown routes are 404", async () => {
    assert.equal((await fetch(`${app.url}/api/predict`)).status, 405);
    assert.equal((await fetch(`${app.url}/nope`)).status, 404);
    assert.equal((await fetch(`${app.url}/api/nope`, { method: "POST" })).status, 404);
  });

  test("a client that sends half a body and disconnects does not hurt the server", async () => {
    await new Promise<void>((resolve, reject) => {
      const sock = net.connect(app.port, "127.0.0.1", () => {
        sock.write("POST /api/predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"strokes\":[");
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 50);
      });
      sock.on("error", reject);
    });
    const { status, json } = await postJson(`${app.url}/api/predict`, seven());
    assert.equal(status, 200);
    assert.equal(json.digit, 7);
  });

  test("after all the bad input, the server still answers correctly", async () => {
    const { status, json } = await postJson(`${app.url}/api/predict`, seven());
    assert.equal(status, 200);
    assert.equal(json.digit, 7);
  });
});

describe("WebSocket /ws", () => {
  test("a predict message gets a prediction with the same id and the 28x28 input", async () => {
    const ws = await TestSocket.open(`ws://127.0.0.1:${app.port}/ws`);
    ws.send({ type: "predict", id: "abc-1", ...seven() });
    const msg = await ws.next();
    assert.equal(msg.type, "prediction");
    if (msg.type !== "prediction") return;
    assert.equal(msg.id, "abc-1");
    assert.equal(msg.digit, 7);
    const input = Buffer.from(msg.input, "base64");
    assert.equal(input.length, 784);
    assert.ok(input.some((v) => v > 200), "the input image has ink");
    ws.close();
  });

  test("answers keep their ids when several are sent at once", async () => {
    const ws = await TestSocket.open(`ws://127.0.0.1:${app.port}/ws`);
    for (let i = 0; i < 4; i++) ws.send({ type: "predict", id: i, ...seven() });
    const ids = new Set<unknown>();
    for (let i = 0; i < 4; i++) ids.add((await ws.next()).id);
    assert.deepEqual([...ids].sort(), [0, 1, 2, 3]);
    ws.close();
  });

  test("bad messages get error messages and the socket stays usable", async () => {
    const ws = await TestSocket.open(`ws://127.0.0.1:${app.port}/ws`);
    ws.send("not json");
    let msg = await ws.next();
    assert.equal(msg.type, "error");
    ws.send({ type: "hello", id: 5 });
    msg = await ws.next();
    assert.equal(msg.type, "error");
    assert.equal(msg.id, 5);
    ws.send({ type: "predict", id: 6, strokes: [[["a", 1]]], width: 10, height: 10 });
    msg = await ws.next();
    assert.equal(msg.type, "error");
    assert.equal(msg.id, 6);
    if (msg.type === "error") assert.equal(msg.error.code, "invalid_body");
    ws.send(Buffer.from([1, 2, 3]));
    msg = await ws.next();
    assert.equal(msg.type, "error");
    ws.send({ type: "predict", id: 7, ...seven() });
    msg = await ws.next();
    assert.equal(msg.type, "prediction");
    assert.equal(msg.id, 7);
    ws.close();
  });

  test("a flood of messages on one socket gets 429 errors instead of a growing queue", async () => {
    const ws = await TestSocket.open(`ws://127.0.0.1:${app.port}/ws`);
    const n = 40;
    for (let i = 0; i < n; i++) ws.send({ type: "predict", id: i, ...seven() });
    let predictions = 0;
    let busy = 0;
    for (let i = 0; i < n; i++) {
      const msg = await ws.next();
      if (msg.type === "prediction") predictions++;
      else if (msg.type === "error" && msg.error.code === "too_many_requests") busy++;
    }
    assert.equal(predictions + busy, n);
    assert.ok(predictions >= 1);
    assert.ok(busy >= 1, "a burst past the per-socket limit is refused");
    ws.close();
  });

  test("a message over the size cap closes that socket only", async () => {
    const ws = await TestSocket.open(`ws://127.0.0.1:${app.port}/ws`);
    ws.send("x".repeat(LIMITS.maxBodyBytes + 1));
    const code = await ws.waitClosed();
    assert.notEqual(code, 1000);
    const again = await TestSocket.open(`ws://127.0.0.1:${app.port}/ws`);
    again.send({ type: "predict", id: 1, ...seven() });
    assert.equal((await again.next()).type, "prediction");
    again.close();
  });
});

describe("stopping", () => {
  test("closes the connections it holds, keep-alive HTTP ones included", async () => {
    const own = await startTestApp();
    // a raw keep-alive connection, as a browser keeps one between requests
    const socket = net.connect(own.port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    let answer = "";
    const answered = new Promise<void>((resolve) => socket.on("data", (d: Buffer) => ((answer += d.toString("latin1")), answer.includes("\r\n\r\n") && resolve())));
    socket.write("GET /healthz HTTP/1.1\r\nHost: kiosk\r\nConnection: keep-alive\r\n\r\n");
    await answered;
    assert.match(answer, /^HTTP\/1\.1 200/);
    await own.stop();
    // without the server closing it, the socket stays open and this waits for ever (the guard ends it)
    let guard: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([closed.then(() => "closed"), new Promise<string>((resolve) => (guard = setTimeout(() => resolve("still open"), 5000)))]);
    clearTimeout(guard);
    socket.destroy();
    assert.equal(outcome, "closed");
  });
});
