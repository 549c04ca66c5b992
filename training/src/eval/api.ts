// Evaluation through a running server: each drawing goes to POST /api/predict exactly as the kiosk sends it (strokes as JSON, or the PNG file).
import type { Prediction } from "@digit-kiosk/runtime/contracts/api";
import type { Drawing } from "../data/strokes.js";
import type { Answer } from "./report.js";

export interface ApiItem {
  label: number;
  kind?: string;
  /** the request: strokes JSON or PNG bytes */
  body: { type: "application/json"; json: string } | { type: "image/png"; png: Uint8Array };
}

export function drawingItem(d: Drawing): ApiItem {
  return {
    label: d.label,
    ...(d.kind !== undefined ? { kind: d.kind } : {}),
    body: { type: "application/json", json: JSON.stringify({ strokes: d.strokes, width: d.width, height: d.height }) },
  };
}

export function pngItem(label: number, png: Uint8Array): ApiItem {
  return { label, body: { type: "image/png", png } };
}

/** Sends every item with `concurrency` requests in flight, retrying a 429 after a short wait. */
export async function evaluateApi(baseUrl: string, items: readonly ApiItem[], concurrency = 4, onProgress?: (done: number) => void): Promise<Answer[]> {
  const url = new URL("/api/predict", baseUrl).toString();
  const answers = new Array<Answer>(items.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const item = items[i]!;
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": item.body.type },
          body: item.body.type === "image/png" ? Buffer.from(item.body.png) : item.body.json,
        });
        if (res.status === 429 && attempt < 20) {
          await res.arrayBuffer();
          await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
          continue;
        }
        if (res.status !== 200) throw new Error(`POST ${url} (${item.body.type}) answered ${res.status}: ${await res.text()}`);
        const p = (await res.json()) as Prediction;
        let top = 0;
        p.probabilities.forEach((v, c) => {
          if (v > p.probabilities[top]!) top = c;
        });
        answers[i] = { label: item.label, digit: p.digit, top, confidence: p.confidence, ...(item.kind !== undefined ? { kind: item.kind } : {}) };
        break;
      }
      onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return answers;
}
