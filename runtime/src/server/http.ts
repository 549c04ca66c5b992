// The uWebSockets.js server of the API contract: kiosk files, /healthz, POST /api/predict, WS /ws.
import uWS from "uWebSockets.js";
import { LIMITS, parseJson, parsePredictRequest, type Health, type WsAnyServerMessage } from "../contracts/api.js";
import { ApiError, badRequest, toApiError, tooManyRequests, unsupportedType } from "../contracts/errors.js";
import { logger } from "../log.js";
import type { ModelStore } from "../model/store.js";
import type { Predictor } from "../predictor.js";
import { preparePng } from "../preprocess/png.js";
import { AdminRoutes } from "./admin.js";
import { readBody } from "./body.js";
import { sendBytes, sendError, sendJson, type ResponseState } from "./respond.js";
import type { KioskRoutes } from "./routes-kiosk.js";
import type { StaticFile } from "./static.js";

// The installed binary has App.close(); the package's own typings leave it out.
declare module "uWebSockets.js" {
  interface TemplatedApp {
    /** Closes the app's listen sockets and every connection it holds, keep-alive HTTP ones included. */
    close(): void;
  }
}

const log = logger("http");

/** Most WebSocket messages one socket may have waiting; more get a 429-style error. */
const MAX_PENDING_PER_SOCKET = 4;
/** Stop sending to a socket whose client does not read (bytes buffered). */
const MAX_BUFFERED = 1024 * 1024;

interface SocketData {
  closed: boolean;
  pending: number;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  models: ModelStore;
  predictor: Predictor;
  staticFiles: Map<string, StaticFile>;
  /** the kiosk's extra routes (kiosk config, feedback, operator status, WS explain); absent in a bare API server */
  kiosk?: KioskRoutes;
}

export class HttpServer {
  private listenSocket: uWS.us_listen_socket | null = null;
  private readonly sockets = new Set<uWS.WebSocket<SocketData>>();
  private readonly startedAt = Date.now();
  private boundPort = 0;
  private app: uWS.TemplatedApp | null = null;
  /** the deploy receiver's loopback-only, token-protected model swap (server/admin.ts) */
  private readonly admin: AdminRoutes;

  constructor(private readonly options: HttpServerOptions) {
    this.admin = new AdminRoutes(options.models);
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const app = uWS.App();
    this.app = app;
    app.get("/healthz", (res) => this.health(res));
    app.post("/api/predict", (res, req) => this.predictHttp(res, req));
    app.any("/api/predict", (res) => {
      sendError(res, { aborted: false, done: false }, new ApiError(405, "method_not_allowed", "use POST /api/predict"));
    });
    app.ws<SocketData>("/ws", {
      compression: uWS.DISABLED,
      maxPayloadLength: LIMITS.maxBodyBytes,
      idleTimeout: 120,
      maxBackpressure: MAX_BUFFERED,
      upgrade: (res, req, context) => {
        res.upgrade<SocketData>(
          { closed: false, pending: 0 },
          req.getHeader("sec-websocket-key"),
          req.getHeader("sec-websocket-protocol"),
          req.getHeader("sec-websocket-extensions"),
          context,
        );
      },
      open: (ws) => {
        this.sockets.add(ws);
      },
      message: (ws, message, isBinary) => this.predictWs(ws, message, isBinary),
      close: (ws) => {
        ws.getUserData().closed = true;
        this.sockets.delete(ws);
      },
    });
    this.options.kiosk?.register(app);
    this.admin.register(app);
    app.get("/*", (res, req) => this.serveStatic(res, req));
    app.any("/*", (res, req) => {
      sendError(res, { aborted: false, done: false }, new ApiError(404, "not_found", `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}`));
    });

    const { host, port } = this.options;
    await new Promise<void>((resolve, reject) => {
      app.listen(host, port, (token) => {
        if (token === false) {
          reject(new Error(`cannot listen on ${host}:${port}`));
          return;
        }
        this.listenSocket = token;
        this.boundPort = uWS.us_socket_local_port(token);
        resolve();
      });
    });
    log.info("listening", { url: `http://${host}:${this.boundPort}` });
    await this.admin.start(host, this.boundPort);
  }

  async stop(): Promise<void> {
    await this.admin.stop();
    if (this.listenSocket !== null) {
      uWS.us_listen_socket_close(this.listenSocket);
      this.listenSocket = null;
    }
    for (const ws of this.sockets) {
      try {
        ws.end(1001, "server shutting down");
      } catch {
        // already closed
      }
    }
    this.sockets.clear();
    // keep-alive HTTP connections (a browser keeps one open) would otherwise stay open to a stopped server
    this.app?.close();
    this.app = null;
    await Promise.resolve();
  }

  private health(res: uWS.HttpResponse): void {
    const state: ResponseState = { aborted: false, done: false };
    if (!this.options.models.loaded) {
      sendError(res, state, new ApiError(503, "no_model", "no model is loaded"));
      return;
    }
    const { name, version, sha256 } = this.options.models.current().model.manifest;
    const body: Health = { status: "ok", model: { name, version, sha256 }, uptimeS: Math.round((Date.now() - this.startedAt) / 1000) };
    sendJson(res, state, 200, body);
  }

  private predictHttp(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const state: ResponseState = { aborted: false, done: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    const type = req.getHeader("content-type").split(";")[0]!.trim().toLowerCase();
    const lengthHeader = req.getHeader("content-length");
    const declared = lengthHeader === "" ? null : Number(lengthHeader);
    if (type !== "application/json" && type !== "image/png") {
      sendError(res, state, unsupportedType(`content-type must be application/json or image/png, got "${type || "none"}"`));
      return;
    }
    readBody(res, LIMITS.maxBodyBytes, declared !== null && Number.isFinite(declared) ? declared : null)
      .then(async (body) => {
        const { predictor } = this.options;
        const result =
          type === "image/png"
            ? await predictor.predictInput(await preparePng(body))
            : await predictor.predictStrokes(parsePredictRequest(parseJson(body)));
        sendJson(res, state, 200, result.prediction);
      })
      .catch((err: unknown) => {
        if (!(err instanceof ApiError)) log.error("predict failed", { error: String(err) });
        sendError(res, state, err);
      });
  }

  private predictWs(ws: uWS.WebSocket<SocketData>, message: ArrayBuffer, isBinary: boolean): void {
    const data = ws.getUserData();
    let id: unknown = null;
    const reply = (msg: WsAnyServerMessage): void => {
      if (data.closed || ws.getBufferedAmount() > MAX_BUFFERED) return;
      ws.send(JSON.stringify(msg), false);
    };
    const fail = (err: unknown): void => {
      const e = toApiError(err);
      if (!(err instanceof ApiError)) log.error("ws predict failed", { error: String(err) });
      reply({ type: "error", id, error: { code: e.code, message: e.message } });
    };
    try {
      if (isBinary) throw badRequest("send JSON text messages");
      // Parse synchronously: uWebSockets.js reuses the message buffer after this callback returns.
      const body = parseJson(new Uint8Array(message));
      if (typeof body === "object" && body !== null && !Array.isArray(body)) id = (body as Record<string, unknown>).id ?? null;
      const type = (body as Record<string, unknown> | null)?.type;
      const kiosk = this.options.kiosk;
      if (type === "explain" && kiosk !== undefined) {
        const request = parsePredictRequest(body);
        if (data.pending >= MAX_PENDING_PER_SOCKET) throw tooManyRequests("wait for the previous answers before sending more");
        data.pending++;
        kiosk
          .explain(request)
          .then((explanation) => reply({ type: "explanation", id, ...explanation }))
          .catch(fail)
          .finally(() => {
            data.pending--;
          });
        return;
      }
      if (type !== "predict") throw badRequest(`unknown message type ${JSON.stringify(type ?? null)}; expected "predict"`);
      const request = parsePredictRequest(body);
      if (data.pending >= MAX_PENDING_PER_SOCKET) throw tooManyRequests("wait for the previous answers before sending more");
      data.pending++;
      this.options.predictor
        .predictStrokes(request)
        .then(({ prediction, input }) => {
          reply({ type: "prediction", id, ...prediction, input: Buffer.from(input).toString("base64") });
        })
        .catch(fail)
        .finally(() => {
          data.pending--;
        });
    } catch (err) {
      fail(err);
    }
  }

  private serveStatic(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const url = req.getUrl();
    const file = this.options.staticFiles.get(url);
    if (file === undefined) {
      const message = this.options.staticFiles.size === 0 ? "the kiosk is not built: run npm run build" : `no file ${url}`;
      sendError(res, { aborted: false, done: false }, new ApiError(404, "not_found", message));
      return;
    }
    if (req.getHeader("if-none-match") === file.etag) {
      res.cork(() => res.writeStatus("304 Not Modified").writeHeader("etag", file.etag).endWithoutBody());
      return;
    }
    sendBytes(res, 200, file.type, file.body, { etag: file.etag, "cache-control": "no-cache" });
  }
}
