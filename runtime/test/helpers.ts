// Shared test helpers: a runtime on an ephemeral port with a tiny static site, and a WebSocket client.
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import type { Stroke, WsServerMessage } from "../src/contracts/api.js";
import { startApp, type RunningApp } from "../src/app.js";
import { DEFAULT_CONFIG, type Config } from "../src/config.js";
import { readFileSync } from "node:fs";

export async function startTestApp(options: Partial<Config> = {}): Promise<RunningApp & { url: string }> {
  const staticDir = await mkdtemp(path.join(os.tmpdir(), "dk-static-"));
  await writeFile(path.join(staticDir, "index.html"), "<!doctype html><title>digit-kiosk test</title>");
  const app = await startApp({ host: "127.0.0.1", port: 0, staticDir, ...options });
  return { ...app, url: `http://127.0.0.1:${app.port}` };
}

/** A "7": a top bar, then a diagonal down to the left, in a box at (x, y). */
export function sevenStrokes(x = 200, y = 60, size = 300): Stroke[] {
  const pts: Array<[number, number]> = [];
  for (let t = 0; t <= 1.0001; t += 0.05) pts.push([0.15 + 0.7 * t, 0.08]);
  for (let t = 0.05; t <= 1.0001; t += 0.05) pts.push([0.85 - 0.4 * t, 0.08 + 0.84 * t]);
  return [pts.map(([u, v]) => [x + u * size, y + v * size] as [number, number])];
}

export async function postJson(url: string, body: unknown, contentType = "application/json"): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": contentType }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A WebSocket client that hands out server messages one at a time. */
export class TestSocket {
  private readonly inbox: WsServerMessage[] = [];
  private waiter: ((m: WsServerMessage) => void) | null = null;
  closed: { code: number } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      const msg = JSON.parse(data.toString("utf8")) as WsServerMessage;
      if (this.waiter !== null) {
        const w = this.waiter;
        this.waiter = null;
        w(msg);
      } else this.inbox.push(msg);
    });
    ws.on("close", (code: number) => {
      this.closed = { code };
    });
  }

  static open(url: string): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once("open", () => resolve(new TestSocket(ws)));
      ws.once("error", reject);
    });
  }

  send(data: unknown): void {
    this.ws.send(typeof data === "string" || Buffer.isBuffer(data) ? data : JSON.stringify(data));
  }

  next(timeoutMs = 10000): Promise<WsServerMessage> {
    const queued = this.inbox.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no WebSocket message in time")), timeoutMs);
      this.waiter = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
    });
  }

  waitClosed(timeoutMs = 10000): Promise<number> {
    if (this.closed !== null) return Promise.resolve(this.closed.code);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("socket did not close")), timeoutMs);
      this.ws.once("close", (code: number) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** The bundled default model's name and version, read from its manifest. */
export function defaultModel(): { name: string; version: string } {
  const m = JSON.parse(readFileSync(path.join(DEFAULT_CONFIG.modelDir, "manifest.json"), "utf8")) as { name: string; version: string };
  return { name: m.name, version: m.version };
}
