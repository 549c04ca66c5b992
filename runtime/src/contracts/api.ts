// The HTTP and WebSocket API of DESIGN.md: message types, limits, and the one validator of request bodies.
import { badRequest, tooLarge } from "./errors.js";

/** [x, y] or [x, y, t]: pixels of the drawing surface, origin top-left, y down; t in ms. */
export type Point = [number, number] | [number, number, number];
export type Stroke = Point[];

export interface PredictRequest {
  strokes: Stroke[];
  width: number;
  height: number;
}

export interface ModelRef {
  name: string;
  version: string;
}

export interface Prediction {
  digit: number | null;
  confidence: number;
  confident: boolean;
  probabilities: number[];
  model: ModelRef;
  elapsedMs: number;
}

export interface WsPredictMessage extends PredictRequest {
  type: "predict";
  id: unknown;
}

export interface WsPredictionMessage extends Prediction {
  type: "prediction";
  id: unknown;
  /** base64 of the 784 bytes (row-major, white ink on black) of the 28x28 image the model saw */
  input: string;
}

export interface WsErrorMessage {
  type: "error";
  id: unknown;
  error: { code: string; message: string };
}

export type WsServerMessage = WsPredictionMessage | WsErrorMessage;

export interface Health {
  status: "ok";
  model: { name: string; version: string; sha256: string };
  uptimeS: number;
}

export const LIMITS = {
  /** largest request body or WebSocket message, bytes */
  maxBodyBytes: 512 * 1024,
  maxStrokes: 64,
  maxPointsPerStroke: 4096,
  maxPointsTotal: 8192,
  /** largest drawing surface side, pixels */
  maxSurface: 16384,
  /** largest |coordinate|: points may leave the surface a little, never wildly */
  maxCoordinate: 1e6,
} as const;

const describe = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "number" && !Number.isFinite(v) ? String(v) : typeof v;

/**
 * Validates an already-parsed JSON body as a PredictRequest. All problems are collected and
 * reported together in one 400; sizes past LIMITS give 413.
 */
export function parsePredictRequest(value: unknown): PredictRequest {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest(`body must be a JSON object with strokes, width and height, got ${describe(value)}`);
  }
  const body = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ["width", "height"] as const) {
    const v = body[key];
    if (typeof v !== "number" || !Number.isFinite(v)) problems.push(`${key} must be a finite number, got ${describe(v)}`);
    else if (v <= 0 || v > LIMITS.maxSurface) problems.push(`${key} must be in (0, ${LIMITS.maxSurface}], got ${v}`);
  }
  const strokes = body.strokes;
  if (!Array.isArray(strokes)) {
    problems.push(`strokes must be an array of strokes, got ${describe(strokes)}`);
    throw badRequest(problems.join("; "));
  }
  if (strokes.length > LIMITS.maxStrokes) throw tooLarge(`too many strokes: ${strokes.length} > ${LIMITS.maxStrokes}`);
  let total = 0;
  for (const s of strokes) total += Array.isArray(s) ? s.length : 0;
  if (total > LIMITS.maxPointsTotal) throw tooLarge(`too many points: ${total} > ${LIMITS.maxPointsTotal}`);

  strokes.forEach((stroke: unknown, i) => {
    if (problems.length >= 10) return;
    if (!Array.isArray(stroke)) {
      problems.push(`strokes[${i}] must be an array of points, got ${describe(stroke)}`);
      return;
    }
    if (stroke.length === 0) problems.push(`strokes[${i}] is empty`);
    if (stroke.length > LIMITS.maxPointsPerStroke) {
      problems.push(`strokes[${i}] has ${stroke.length} points, more than ${LIMITS.maxPointsPerStroke}`);
      return;
    }
    for (let j = 0; j < stroke.length && problems.length < 10; j++) {
      const p: unknown = stroke[j];
      if (!Array.isArray(p) || (p.length !== 2 && p.length !== 3)) {
        problems.push(`strokes[${i}][${j}] must be [x, y] or [x, y, t]`);
        continue;
      }
      for (let k = 0; k < p.length; k++) {
        const c: unknown = p[k];
        if (typeof c !== "number" || !Number.isFinite(c)) {
          problems.push(`strokes[${i}][${j}][${k}] must be a finite number, got ${describe(c)}`);
        } else if (k < 2 && Math.abs(c) > LIMITS.maxCoordinate) {
          problems.push(`strokes[${i}][${j}][${k}] is out of range: ${c}`);
        }
      }
    }
  });
  if (problems.length > 0) throw badRequest(problems.join("; "));
  return { strokes: strokes as Stroke[], width: body.width as number, height: body.height as number };
}

/** Parses raw bytes as JSON, mapping syntax errors to a 400 invalid_json. */
export function parseJson(bytes: Uint8Array | string): unknown {
  if (typeof bytes !== "string" && bytes.byteLength > LIMITS.maxBodyBytes) {
    throw tooLarge(`body is ${bytes.byteLength} bytes, more than ${LIMITS.maxBodyBytes}`);
  }
  const text = typeof bytes === "string" ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`body is not valid JSON: ${(err as Error).message}`, "invalid_json");
  }
}
