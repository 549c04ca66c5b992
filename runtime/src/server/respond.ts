// The one place that turns results and errors into uWebSockets.js responses (always inside cork).
import type { HttpResponse } from "uWebSockets.js";
import { toApiError } from "../contracts/errors.js";

const STATUS_TEXT: Record<number, string> = {
  200: "200 OK",
  304: "304 Not Modified",
  400: "400 Bad Request",
  403: "403 Forbidden",
  404: "404 Not Found",
  405: "405 Method Not Allowed",
  409: "409 Conflict",
  413: "413 Payload Too Large",
  415: "415 Unsupported Media Type",
  429: "429 Too Many Requests",
  500: "500 Internal Server Error",
  503: "503 Service Unavailable",
};

/** Tracks whether the client went away, so nothing is written to an aborted response. */
export interface ResponseState {
  aborted: boolean;
  done: boolean;
}

export function sendJson(res: HttpResponse, state: ResponseState, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (state.aborted || state.done) return;
  state.done = true;
  const text = JSON.stringify(body);
  res.cork(() => {
    res.writeStatus(STATUS_TEXT[status] ?? `${status} Unknown`);
    res.writeHeader("content-type", "application/json");
    res.writeHeader("cache-control", "no-store");
    for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
    // After a 413 the rest of the body may still be arriving: close rather than read it.
    res.end(text, status === 413);
  });
}

export function sendError(res: HttpResponse, state: ResponseState, err: unknown): void {
  const apiError = toApiError(err);
  sendJson(res, state, apiError.status, apiError.toBody(), apiError.status === 429 ? { "retry-after": "1" } : {});
}

export function sendBytes(res: HttpResponse, status: number, type: string, body: Uint8Array, headers: Record<string, string> = {}): void {
  res.cork(() => {
    res.writeStatus(STATUS_TEXT[status] ?? `${status} Unknown`);
    res.writeHeader("content-type", type);
    for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
    res.end(body);
  });
}
