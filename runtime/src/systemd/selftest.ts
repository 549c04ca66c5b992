// The liveness probe: a prediction on a fixed drawing through the runtime's own HTTP API, checked end to end.
import type { PredictRequest, Prediction, Stroke } from "../contracts/api.js";

export interface SelfTestResult {
  digit: number | null;
  confidence: number;
  elapsedMs: number;
}

export type SelfTest = (timeoutMs: number) => Promise<SelfTestResult>;

/** A clean "7" on a 280x280 surface: a top bar, then a diagonal down to the left. */
export const SELF_TEST_DRAWING: PredictRequest = (() => {
  const stroke: Stroke = [];
  for (let i = 0; i <= 10; i++) stroke.push([70 + 14 * i, 50]);
  for (let i = 1; i <= 12; i++) stroke.push([210 - 7 * i, 50 + 15 * i]);
  return { strokes: [stroke], width: 280, height: 280 };
})();

/** The URL that reaches a server listening on host:port from the same machine. */
export function localBaseUrl(host: string, port: number): string {
  const h = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return h.includes(":") ? `http://[${h}]:${port}` : `http://${h}:${port}`;
}

function isPrediction(body: unknown): body is Prediction {
  if (typeof body !== "object" || body === null) return false;
  const p = (body as { probabilities?: unknown }).probabilities;
  return Array.isArray(p) && p.length === 10 && p.every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1);
}

/** Rejects unless POST /api/predict answers 200 with ten finite probabilities that sum to 1. */
export function httpSelfTest(baseUrl: string): SelfTest {
  const url = `${baseUrl}/api/predict`;
  const body = JSON.stringify(SELF_TEST_DRAWING);
  return async (timeoutMs) => {
    const started = performance.now();
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`POST /api/predict answered ${res.status}: ${text.slice(0, 200)}`);
    const parsed: unknown = JSON.parse(text);
    if (!isPrediction(parsed)) throw new Error(`POST /api/predict answered without ten probabilities: ${text.slice(0, 200)}`);
    const sum = parsed.probabilities.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 0.01) throw new Error(`the probabilities sum to ${sum}, not 1`);
    return { digit: parsed.digit, confidence: parsed.confidence, elapsedMs: performance.now() - started };
  };
}
