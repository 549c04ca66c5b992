// The kiosk's edge of the WebSocket API: builds requests and checks every server message before use.
import {
  KIOSK_LANGUAGES,
  type KioskConfig,
  type LayerActivation,
  type OperatorStatus,
  type Stroke,
  type WsAnyServerMessage,
  type WsErrorMessage,
  type WsExplainMessage,
  type WsExplanationMessage,
  type WsPredictMessage,
  type WsPredictionMessage,
} from "@digit-kiosk/runtime/contracts/api";

/** Side of the image the model sees, and its byte count. */
export const INPUT_SIDE = 28;
export const INPUT_BYTES = INPUT_SIDE * INPUT_SIDE;

export function predictMessage(id: number, strokes: readonly Stroke[], width: number, height: number): WsPredictMessage {
  return { type: "predict", id, strokes: strokes.map((s) => s.slice()), width, height };
}

export function explainMessage(id: string, strokes: readonly Stroke[], width: number, height: number): WsExplainMessage {
  return { type: "explain", id, strokes: strokes.map((s) => s.slice()), width, height };
}

type Fields = Record<string, unknown>;

const isObject = (v: unknown): v is Fields => typeof v === "object" && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function isPrediction(m: Fields): m is Fields & WsPredictionMessage {
  const { digit, confidence, confident, probabilities, model, elapsedMs, input } = m;
  return (
    (digit === null || (Number.isInteger(digit) && (digit as number) >= 0 && (digit as number) <= 9)) &&
    isFiniteNumber(confidence) &&
    typeof confident === "boolean" &&
    Array.isArray(probabilities) &&
    probabilities.length === 10 &&
    probabilities.every(isFiniteNumber) &&
    isObject(model) &&
    typeof model.name === "string" &&
    typeof model.version === "string" &&
    isFiniteNumber(elapsedMs) &&
    typeof input === "string"
  );
}

function isError(m: Fields): m is Fields & WsErrorMessage {
  const e = m.error;
  return isObject(e) && typeof e.code === "string" && typeof e.message === "string";
}

/** Largest feature map the kiosk draws: TinyVGG's are at most 16 x 26 x 26. */
const MAX_LAYER_VALUES = 64 * 28 * 28;

function isLayer(v: unknown): v is LayerActivation {
  if (!isObject(v)) return false;
  const { name, kind, relu, channels, height, width, min, max, data } = v;
  const dims = [channels, height, width];
  return (
    typeof name === "string" &&
    (kind === "conv" || kind === "pool") &&
    typeof relu === "boolean" &&
    dims.every((d) => Number.isInteger(d) && (d as number) > 0) &&
    (channels as number) * (height as number) * (width as number) <= MAX_LAYER_VALUES &&
    isFiniteNumber(min) &&
    isFiniteNumber(max) &&
    typeof data === "string"
  );
}

function isExplanation(m: Fields): m is Fields & WsExplanationMessage {
  const { model, input, layers, probabilities, elapsedMs } = m;
  return (
    isObject(model) &&
    typeof model.name === "string" &&
    typeof model.version === "string" &&
    typeof input === "string" &&
    Array.isArray(layers) &&
    layers.length <= 32 &&
    layers.every(isLayer) &&
    Array.isArray(probabilities) &&
    probabilities.length === 10 &&
    probabilities.every(isFiniteNumber) &&
    isFiniteNumber(elapsedMs)
  );
}

/** Parses one frame from the server; null when it is not a message this client understands. */
export function parseServerMessage(data: unknown): WsAnyServerMessage | null {
  if (typeof data !== "string") return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(value)) return null;
  if (value.type === "prediction" && isPrediction(value)) return value;
  if (value.type === "error" && isError(value)) return value;
  if (value.type === "explanation" && isExplanation(value)) return value;
  return null;
}

/** Decodes base64 of exactly `length` bytes; null otherwise. */
export function decodeBytes(base64: string, length: number): Uint8Array | null {
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    return null;
  }
  if (binary.length !== length) return null;
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Decodes the base64 28x28 image; null when it is not exactly 784 bytes. */
export function decodeInput(base64: string): Uint8Array | null {
  return decodeBytes(base64, INPUT_BYTES);
}

const isSeconds = (v: unknown): v is number => isFiniteNumber(v) && v >= 0;

/** GET /api/kiosk-config, checked; null when it is not usable. */
export function parseKioskConfig(value: unknown): KioskConfig | null {
  if (!isObject(value)) return null;
  const { language, attractAfterSeconds, clearAfterSeconds, collectSamples, operator, classroom, classroomButton } = value;
  const ok =
    (KIOSK_LANGUAGES as readonly unknown[]).includes(language) &&
    isSeconds(attractAfterSeconds) &&
    isSeconds(clearAfterSeconds) &&
    [collectSamples, operator, classroom, classroomButton].every((b) => typeof b === "boolean");
  return ok ? (value as unknown as KioskConfig) : null;
}

/** GET /api/status, checked where the overlay reads it; null when it is not usable. */
export function parseOperatorStatus(value: unknown): OperatorStatus | null {
  if (!isObject(value)) return null;
  const { model, health, samples, feedback, runtime } = value;
  const ok =
    isObject(model) &&
    typeof model.name === "string" &&
    typeof model.version === "string" &&
    typeof model.sha256 === "string" &&
    isObject(health) &&
    isFiniteNumber(health.systemUptimeS) &&
    isObject(samples) &&
    typeof samples.collecting === "boolean" &&
    isFiniteNumber(samples.count) &&
    isObject(feedback) &&
    isFiniteNumber(feedback.right) &&
    isFiniteNumber(feedback.wrong) &&
    isObject(runtime) &&
    isFiniteNumber(runtime.uptimeS);
  return ok ? (value as unknown as OperatorStatus) : null;
}
