// The kiosk's extra routes: GET /api/kiosk-config, POST /api/feedback, GET /api/status (operator PIN),
// and the WebSocket "explain" message of classroom mode. Each is a small handler beside the core API's.
import { createHash, timingSafeEqual } from "node:crypto";
import type uWS from "uWebSockets.js";
import {
  LIMITS,
  OPERATOR_PIN_HEADER,
  parseFeedbackRequest,
  parseJson,
  type FeedbackResponse,
  type KioskConfig,
  type OperatorStatus,
  type PredictRequest,
} from "../contracts/api.js";
import { ApiError, forbidden, tooManyRequests, unsupportedType } from "../contracts/errors.js";
import type { Config } from "../config.js";
import type { Explainer, Explanation } from "../explain/explainer.js";
import type { HealthReporter } from "../health/reporter.js";
import { logger } from "../log.js";
import type { ModelStore } from "../model/store.js";
import { renderStrokes } from "../preprocess/index.js";
import type { SampleStore } from "../samples/store.js";
import { readBody } from "./body.js";
import { sendError, sendJson, type ResponseState } from "./respond.js";

const log = logger("kiosk-api");

/** Wrong PINs allowed per window before the status route answers 429 for the rest of it. */
const PIN_TRIES = 5;
const PIN_WINDOW_MS = 60_000;

export interface KioskRoutesOptions {
  config: Config;
  models: ModelStore;
  explainer: Explainer;
  samples: SampleStore;
  health: HealthReporter;
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

export class KioskRoutes {
  private readonly startedAt = Date.now();
  private readonly feedback = { right: 0, wrong: 0 };
  private pinFailures: number[] = [];

  constructor(private readonly options: KioskRoutesOptions) {}

  register(app: uWS.TemplatedApp): void {
    app.get("/api/kiosk-config", (res) => this.kioskConfig(res));
    app.post("/api/feedback", (res, req) => this.postFeedback(res, req));
    app.get("/api/status", (res, req) => this.status(res, req));
  }

  /** The WebSocket "explain" message: validated by the caller, answered with every layer's activations. */
  explain(request: PredictRequest): Promise<Explanation> {
    return this.options.explainer.explain(request);
  }

  private kioskConfig(res: uWS.HttpResponse): void {
    const c = this.options.config;
    const body: KioskConfig = {
      language: c.language,
      attractAfterSeconds: c.attractAfterSeconds,
      clearAfterSeconds: c.clearAfterSeconds,
      collectSamples: this.options.samples.collecting,
      operator: c.operatorPin !== null,
      classroom: c.classroom,
      classroomButton: c.classroomButton,
    };
    sendJson(res, { aborted: false, done: false }, 200, body);
  }

  private postFeedback(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const state: ResponseState = { aborted: false, done: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    const type = req.getHeader("content-type").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      sendError(res, state, unsupportedType(`content-type must be application/json, got "${type || "none"}"`));
      return;
    }
    const declared = Number(req.getHeader("content-length") || Number.NaN);
    readBody(res, LIMITS.maxBodyBytes, Number.isFinite(declared) ? declared : null)
      .then(async (bytes) => {
        const feedback = parseFeedbackRequest(parseJson(bytes));
        if (feedback.label === feedback.predicted) this.feedback.right++;
        else this.feedback.wrong++;
        const { samples, models } = this.options;
        let id: string | null = null;
        if (samples.collecting) {
          const manifest = models.loaded ? models.current().model.manifest : null;
          id = await samples.save({
            ...feedback,
            input: renderStrokes(feedback.strokes, feedback.width, feedback.height),
            model: manifest === null ? null : { name: manifest.name, version: manifest.version },
          });
        }
        const body: FeedbackResponse = { stored: id !== null, id };
        sendJson(res, state, 200, body);
      })
      .catch((err: unknown) => {
        if (!(err instanceof ApiError)) log.error("feedback failed", { error: String(err) });
        sendError(res, state, err);
      });
  }

  private status(res: uWS.HttpResponse, req: uWS.HttpRequest): void {
    const state: ResponseState = { aborted: false, done: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    const { models, samples, health } = this.options;
    let model: OperatorStatus["model"];
    try {
      this.checkPin(req.getHeader(OPERATOR_PIN_HEADER));
      const { name, version, sha256, createdAt, quantization, preprocessing } = models.current().model.manifest;
      model = { name, version, sha256, createdAt, quantization, preprocessing };
    } catch (err) {
      sendError(res, state, err);
      return;
    }
    health
      .snapshot()
      .then((snapshot) => {
        const body: OperatorStatus = {
          model,
          health: snapshot,
          samples: { collecting: samples.collecting, count: samples.count, dir: samples.dir },
          feedback: { ...this.feedback },
          runtime: { uptimeS: Math.round((Date.now() - this.startedAt) / 1000), node: process.version },
        };
        sendJson(res, state, 200, body);
      })
      .catch((err: unknown) => {
        log.error("status failed", { error: String(err) });
        sendError(res, state, err);
      });
  }

  /** 403 without the right PIN (or with no PIN configured); 429 after too many wrong ones. */
  private checkPin(given: string): void {
    const pin = this.options.config.operatorPin;
    if (pin === null) throw forbidden("the operator overlay is disabled: no operatorPin in the config");
    const now = Date.now();
    this.pinFailures = this.pinFailures.filter((t) => now - t < PIN_WINDOW_MS);
    if (this.pinFailures.length >= PIN_TRIES) throw tooManyRequests("too many wrong PINs; wait a minute");
    if (!timingSafeEqual(digest(given), digest(pin))) {
      this.pinFailures.push(now);
      log.warn("wrong operator PIN");
      throw forbidden("wrong PIN");
    }
  }
}
