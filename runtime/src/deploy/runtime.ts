// Talks to the running runtime through its admin routes (server/admin.ts): the URL and token come from
// <store>/.runtime-admin.json, which the runtime writes at start (mode 0600). No file, or nobody listening:
// the runtime is not running, and it will load models/current when it starts.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ADMIN_ENDPOINT_FILE } from "../model/layout.js";
import type { ActiveModel, ModelSummary } from "../model/store.js";
import { ADMIN_MODEL_PATH, ADMIN_RELOAD_PATH, type AdminEndpoint } from "../server/admin.js";
import { DeployError } from "./errors.js";

export type RuntimeSwap =
  | { notified: true; model: ModelSummary; loadMs: number; drainMs: number }
  | { notified: false; reason: string };

export type RuntimeStatus = { reachable: true; model: ActiveModel | null } | { reachable: false; reason: string };

async function readEndpoint(root: string): Promise<AdminEndpoint | string> {
  const file = path.join(root, ADMIN_ENDPOINT_FILE);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "the runtime is not running (it publishes no admin endpoint)" : `cannot read ${file}: ${code ?? String(err)}`;
  }
  const e = (typeof value === "object" && value !== null ? value : {}) as Partial<Record<keyof AdminEndpoint, unknown>>;
  if (typeof e.url !== "string" || !/^http:\/\/(127\.\d+\.\d+\.\d+|\[::1\]):\d+$/.test(e.url) || typeof e.token !== "string") return `${file} is not a runtime admin endpoint`;
  return { url: e.url, token: e.token, pid: Number(e.pid), startedAt: String(e.startedAt) };
}

/** "connection refused" and the like: nobody is listening where the endpoint file says. */
const unreachable = (err: unknown): string => {
  const cause = (err as { cause?: { code?: string } }).cause;
  return `the runtime does not answer (${cause?.code ?? (err as Error).message}); it loads models/current when it starts`;
};

async function call(endpoint: AdminEndpoint, route: string, init: RequestInit, timeoutMs: number): Promise<{ status: number; body: Record<string, unknown> } | string> {
  let res: Response;
  try {
    res = await fetch(`${endpoint.url}${route}`, {
      ...init,
      headers: { authorization: `Bearer ${endpoint.token}`, "content-type": "application/json" },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    if ((err as Error).name === "TimeoutError") throw new DeployError("runtime_refused", `the runtime did not answer within ${Math.round(timeoutMs / 1000)} s`);
    return unreachable(err);
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res.status, body: { error: { message: text.slice(0, 200) } } };
  }
}

/** Asks the runtime to swap to models/current (which must be sha256); throws runtime_refused when it will not. */
export async function askRuntimeToSwap(root: string, sha256: string, timeoutMs: number): Promise<RuntimeSwap> {
  const endpoint = await readEndpoint(root);
  if (typeof endpoint === "string") return { notified: false, reason: endpoint };
  const answer = await call(endpoint, ADMIN_RELOAD_PATH, { method: "POST", body: JSON.stringify({ sha256 }) }, timeoutMs);
  if (typeof answer === "string") return { notified: false, reason: answer };
  if (answer.status === 200) {
    const b = answer.body as { model: ModelSummary; loadMs: number; drainMs: number };
    return { notified: true, model: b.model, loadMs: Math.round(b.loadMs), drainMs: Math.round(b.drainMs) };
  }
  const error = (answer.body.error ?? {}) as { message?: string; problems?: string[] };
  throw new DeployError("runtime_refused", `the runtime refused the swap (HTTP ${answer.status}): ${error.message ?? "no reason given"}`, error.problems ?? []);
}

export async function askRuntimeStatus(root: string, timeoutMs = 10_000): Promise<RuntimeStatus> {
  const endpoint = await readEndpoint(root);
  if (typeof endpoint === "string") return { reachable: false, reason: endpoint };
  const answer = await call(endpoint, ADMIN_MODEL_PATH, { method: "GET" }, timeoutMs).catch((err: unknown) => (err as Error).message);
  if (typeof answer === "string") return { reachable: false, reason: answer };
  if (answer.status !== 200) return { reachable: false, reason: `the runtime answered HTTP ${answer.status}` };
  return { reachable: true, model: (answer.body.model ?? null) as ActiveModel | null };
}
