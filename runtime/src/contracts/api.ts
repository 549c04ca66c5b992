// The HTTP and WebSocket API of DESIGN.md: message types, limits, and the one validator of request bodies.
import { ApiError, badRequest, tooLarge } from "./errors.js";
import type { Manifest } from "./manifest.js";

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

/** What the server sends in answer to "predict". */
export type WsServerMessage = WsPredictionMessage | WsErrorMessage;

/** Classroom mode: the same body as predict; the answer carries every layer's activations. Computed only on request. */
export interface WsExplainMessage extends PredictRequest {
  type: "explain";
  id: unknown;
}

export type WsClientMessage = WsPredictMessage | WsExplainMessage;

/** One layer's feature maps, quantized to bytes for display. */
export interface LayerActivation {
  /** the tensor's name in the model graph, e.g. "conv1_1.relu" */
  name: string;
  /** "conv": a convolution (after its ReLU when the model has one); "pool": a max-pooling */
  kind: "conv" | "pool";
  /** true when the values are after a ReLU */
  relu: boolean;
  channels: number;
  height: number;
  width: number;
  /** the values that byte 0 and byte 255 stand for: v = min + byte / 255 * (max - min) */
  min: number;
  max: number;
  /** base64 of channels * height * width bytes: channel by channel, each row-major */
  data: string;
}

export interface WsExplanationMessage {
  type: "explanation";
  id: unknown;
  model: ModelRef;
  /** base64 of the 784 bytes of the 28x28 image the model saw (as in "prediction") */
  input: string;
  /** from the input side to the output side */
  layers: LayerActivation[];
  /** softmax of the same run: the output layer */
  probabilities: number[];
  elapsedMs: number;
}

/** Everything the server may send on /ws: answers to "predict" and to "explain". */
export type WsAnyServerMessage = WsServerMessage | WsExplanationMessage;

export interface Health {
  status: "ok";
  model: { name: string; version: string; sha256: string };
  uptimeS: number;
}

/** The kiosk's interface languages (its messages file has exactly these). */
export const KIOSK_LANGUAGES = ["en", "de", "fr"] as const;
export type KioskLanguage = (typeof KIOSK_LANGUAGES)[number];

/** GET /api/kiosk-config: what the page needs from the config file (never the operator PIN). */
export interface KioskConfig {
  language: KioskLanguage;
  /** idle seconds before the attract mode; 0: never */
  attractAfterSeconds: number;
  /** idle seconds before a drawing is cleared; 0: never */
  clearAfterSeconds: number;
  /** true when labelled drawings are stored (the screen says so) */
  collectSamples: boolean;
  /** true when an operator PIN is set (the hidden operator overlay is enabled) */
  operator: boolean;
  /** start in classroom mode (the network's layers on screen) */
  classroom: boolean;
  /** show the classroom-mode button to everyone */
  classroomButton: boolean;
}

/** POST /api/feedback: a visitor says which digit the drawing was ("Was I right?"). */
export interface FeedbackRequest extends PredictRequest {
  /** the digit the visitor meant */
  label: number;
  /** what the kiosk answered: a digit, or null when it was not sure */
  predicted: number | null;
}

export interface FeedbackResponse {
  /** true when the drawing was stored as a sample (collectSamples on) */
  stored: boolean;
  /** the sample's id when stored: <samplesDir>/<label>/<id>.png and .json */
  id: string | null;
}

/** Device health as the runtime reads it; null where the device does not tell. */
export interface DeviceHealth {
  /** when this was read (ISO) */
  at: string;
  cpuTemperatureC: number | null;
  /** Raspberry Pi firmware flags (get_throttled); null elsewhere */
  throttling: {
    raw: string;
    underVoltage: boolean;
    frequencyCapped: boolean;
    throttled: boolean;
    softTemperatureLimit: boolean;
    /** any of the above since boot */
    occurred: boolean;
  } | null;
  memory: { totalBytes: number; availableBytes: number } | null;
  /** the file system holding the samples folder */
  disk: { path: string; totalBytes: number; freeBytes: number } | null;
  /** CPU load now (0..100) and the 1-minute load average */
  load: { percent: number; average1: number } | null;
  systemUptimeS: number;
}

/** GET /api/status (header x-operator-pin): what the operator overlay shows. */
export interface OperatorStatus {
  model: Pick<Manifest, "name" | "version" | "sha256" | "createdAt" | "quantization" | "preprocessing">;
  health: DeviceHealth;
  samples: { collecting: boolean; count: number; dir: string };
  /** "Was I right?" answers since the runtime started */
  feedback: { right: number; wrong: number };
  runtime: { uptimeS: number; node: string };
}

/** The header that carries the operator PIN. */
export const OPERATOR_PIN_HEADER = "x-operator-pin";

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

const isDigit = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 9;
const describeValue = (v: unknown): string => (typeof v === "number" && Number.isFinite(v) ? String(v) : describe(v));

/** Validates a parsed POST /api/feedback body: the predict body plus label and predicted; all problems in one 400. */
export function parseFeedbackRequest(value: unknown): FeedbackRequest {
  const problems: string[] = [];
  const body = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  if (!isDigit(body.label)) problems.push(`label must be a digit 0-9, got ${describeValue(body.label)}`);
  if (body.predicted !== null && !isDigit(body.predicted)) problems.push(`predicted must be a digit 0-9 or null, got ${describeValue(body.predicted)}`);
  let request: PredictRequest | null = null;
  try {
    request = parsePredictRequest(value);
  } catch (err) {
    if (problems.length === 0 || !(err instanceof ApiError) || err.status !== 400) throw err;
    problems.unshift(err.message);
  }
  if (problems.length > 0 || request === null) throw badRequest(problems.join("; "));
  return { ...request, label: body.label as number, predicted: body.predicted as number | null };
}
