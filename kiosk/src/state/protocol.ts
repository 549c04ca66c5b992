// The kiosk's edge of the WebSocket API: builds requests and checks every server message before use.
import type {
  Stroke,
  WsErrorMessage,
  WsPredictMessage,
  WsPredictionMessage,
  WsServerMessage,
} from "@digit-kiosk/runtime/contracts/api";

/** Side of the image the model sees, and its byte count. */
export const INPUT_SIDE = 28;
export const INPUT_BYTES = INPUT_SIDE * INPUT_SIDE;

export function predictMessage(id: number, strokes: readonly Stroke[], width: number, height: number): WsPredictMessage {
  return { type: "predict", id, strokes: strokes.map((s) => s.slice()), width, height };
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

/** Parses one frame from the server; null when it is not a message this client understands. */
export function parseServerMessage(data: unknown): WsServerMessage | null {
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
  return null;
}

/** Decodes the base64 28x28 image; null when it is not exactly 784 bytes. */
export function decodeInput(base64: string): Uint8Array | null {
  let binary: string;
  try {
    binary = atob(base64);
  } catch {
    return null;
  }
  if (binary.length !== INPUT_BYTES) return null;
  const bytes = new Uint8Array(INPUT_BYTES);
  for (let i = 0; i < INPUT_BYTES; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
