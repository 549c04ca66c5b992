// The runtime's admin routes, for the deploy receiver on the same device: POST /admin/model/reload hot-swaps
// to the package <store>/current points at, GET /admin/model tells what is serving. Loopback clients only,
// with a bearer token made at start and written to <store>/.runtime-admin.json (mode 0600, so only the kiosk
// user, which the restricted deploy key runs as, can read it). Off when MODEL_DIR is a plain package folder.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { isIP } from "node:net";
import path from "node:path";
import type uWS from "uWebSockets.js";
import { parseJson } from "../contracts/api.js";
import { ApiError, badRequest, forbidden } from "../contracts/errors.js";
import { logger } from "../log.js";
import { ADMIN_ENDPOINT_FILE, isPackageId, writeFileAtomic } from "../model/layout.js";
import { ModelSwapError, type ModelStore } from "../model/store.js";
import { readBody } from "./body.js";
import { sendError, sendJson, type ResponseState } from "./respond.js";

const log = logger("admin");

export const ADMIN_RELOAD_PATH = "/admin/model/reload";
export const ADMIN_MODEL_PATH = "/admin/model";
const MAX_ADMIN_BODY = 1024;

/** What the runtime publishes in <store>/.runtime-admin.json. */
export interface AdminEndpoint {
  url: string;
  token: string;
  pid: number;
  startedAt: string;
}

/** The URL a local client reaches the server on, or null when it does not listen on loopback or a wildcard. */
export function adminBaseUrl(host: string, port: number): string | null {
  if (host === "0.0.0.0" || host === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(host)) return `http://${host === "0.0.0.0" || host === "localhost" ? "127.0.0.1" : host}:${port}`;
  if (host === "::" || host === "::1") return `http://[::1]:${port}`;
  return null;
}

export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase();
  if (isIP(a) === 4) return a.startsWith("127.");
  if (a.startsWith("::ffff:")) return isLoopbackAddress(a.slice(7));
  return a === "::1" || a === "0000:0000:0000:0000:0000:0000:0000:0001";
}

export class AdminRoutes {
  private token: Buffer | null = null;
  private endpointFile: string | null = null;

  constructor(private readonly models: ModelStore) {}

  register(app: uWS.TemplatedApp): void {
    app.post(ADMIN_RELOAD_PATH, (res, req) => this.reload(res, req));
    app.get(ADMIN_MODEL_PATH, (res, req) => this.status(res, req));
  }

  /** Makes the token and publishes the endpoint; a failure only turns the admin routes off. */
  async start(host: string, port: number): Promise<void> {
    const root = this.models.root;
    if (root === null) {
      log.info("admin routes off: MODEL_DIR is a plain package folder, not a model store");
      return;
    }
    const url = adminBaseUrl(host, port);
    if (url === null) {
      log.warn("admin routes off: the runtime does not listen on loopback or a wildcard address", { host });
      return;
    }
    const token = randomBytes(32);
    const file = path.join(root, ADMIN_ENDPOINT_FILE);
    const endpoint: AdminEndpoint = { url, token: token.toString("hex"), pid: process.pid, startedAt: new Date().toISOString() };
    try {
      await writeFileAtomic(file, `${JSON.stringify(endpoint)}\n`, 0o600);
    } catch (err) {
      log.error("admin routes off: cannot write the endpoint file", { file, error: String(err) });
      return;
    }
    this.token = token;
    this.endpointFile = file;
    log.info("admin routes on", { url, endpointFile: file });
  }

  async stop(): Promise<void> {
    const file = this.endpointFile;
    const token = this.token;
    this.token = null;
    this.endpointFile = null;
    if (file === null || token === null) return;
    // Remove it only while it is still ours (a newer runtime may have replaced it).
    const text = await readFile(file, "utf8").catch(() => "");
    if (text.includes(token.toString("hex"))) await rm(file, { force: true });
  }

  /** Checks the caller synchronously (headers are only readable before the handler returns). */
  private denied(res: uWS.HttpResponse, req: uWS.HttpRequest): ApiError | null {
    if (this.token === null) return new ApiError(404, "not_found", "the admin routes are off on this runtime");
    const remote = Buffer.from(res.getRemoteAddressAsText()).toString("utf8");
    if (!isLoopbackAddress(remote)) return forbidden("the admin routes answer loopback clients only");
    const m = /^Bearer ([0-9a-f]{64})$/.exec(req.getHeader("authorization"));
    if (m === null || !timingSafeEqual(Buffer.from(m[1]!, "hex"), this.token)) return forbidden("a valid admin token is required");
    return null;
  }

  private status(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const state: ResponseState = { aborted: false, done: false };
    const denied = this.denied(res, req);
    if (denied !== null) {
      sendError(res, state, denied);
      return;
    }
    sendJson(res, state, 200, { ok: true, model: this.models.active() });
  }

  private reload(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const state: ResponseState = { aborted: false, done: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    const denied = this.denied(res, req);
    if (denied !== null) {
      sendError(res, state, denied);
      return;
    }
    const lengthHeader = req.getHeader("content-length");
    const declared = lengthHeader === "" ? null : Number(lengthHeader);
    readBody(res, MAX_ADMIN_BODY, declared !== null && Number.isFinite(declared) ? declared : null)
      .then(async (body) => {
        const expected = body.length === 0 ? undefined : parseExpected(parseJson(body));
        const result = await this.models.reload(expected);
        sendJson(res, state, 200, { ok: true, ...result });
      })
      .catch((err: unknown) => {
        if (err instanceof ModelSwapError) {
          sendJson(res, state, err.status, { error: { code: err.code, message: err.message, problems: err.problems } });
          return;
        }
        if (!(err instanceof ApiError)) log.error("model reload failed", { error: String(err) });
        sendError(res, state, err);
      });
  }
}

/** The reload body: {} or {"sha256": "<the package current must point at>"}. */
function parseExpected(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("the body must be a JSON object");
  const sha = (body as Record<string, unknown>).sha256;
  if (sha === undefined) return undefined;
  if (typeof sha !== "string" || !isPackageId(sha)) throw badRequest("sha256 must be 64 lowercase hex digits");
  return sha;
}
