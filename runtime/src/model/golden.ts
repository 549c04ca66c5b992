// The golden digits file shipped inside a model package: 28x28 inputs (base64 of 784 bytes, white ink on
// black) with the digit the model must answer. Training writes it; the validator reads and runs it.

export const GOLDEN_FILE = "golden.json";
export const GOLDEN_FORMAT = "digit-kiosk-golden/1";
const PIXELS = 28 * 28;

export interface GoldenItem {
  label: number;
  /** where the image came from, e.g. "mnist-test#123" or "pendigits writer 7 #45" */
  source: string;
  /** 784 bytes, row-major */
  pixels: Uint8Array;
}

interface GoldenJson {
  format: typeof GOLDEN_FORMAT;
  items: { label: number; source: string; pixels: string }[];
}

export function encodeGolden(items: readonly GoldenItem[]): string {
  const json: GoldenJson = {
    format: GOLDEN_FORMAT,
    items: items.map((it) => {
      if (it.pixels.length !== PIXELS) throw new Error(`golden item ${it.source}: ${it.pixels.length} pixels, expected ${PIXELS}`);
      return { label: it.label, source: it.source, pixels: Buffer.from(it.pixels).toString("base64") };
    }),
  };
  return `${JSON.stringify(json, null, 1)}\n`;
}

/** Parses golden.json; returns the items and every problem found (an item with a problem is left out). */
export function parseGolden(text: string): { items: GoldenItem[]; problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { items: [], problems: [`golden file is not JSON: ${(err as Error).message}`] };
  }
  const obj = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  if (obj.format !== GOLDEN_FORMAT) return { items: [], problems: [`golden file format must be "${GOLDEN_FORMAT}"`] };
  if (!Array.isArray(obj.items) || obj.items.length === 0) return { items: [], problems: ["golden file has no items"] };
  const items: GoldenItem[] = [];
  const problems: string[] = [];
  obj.items.forEach((raw: unknown, i) => {
    const it = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
    const label = it.label;
    const pixels = typeof it.pixels === "string" ? Buffer.from(it.pixels, "base64") : null;
    if (typeof label !== "number" || !Number.isInteger(label) || label < 0 || label > 9) problems.push(`golden item ${i}: label must be a digit 0-9`);
    else if (pixels === null || pixels.length !== PIXELS) problems.push(`golden item ${i}: pixels must be base64 of ${PIXELS} bytes`);
    else items.push({ label, source: typeof it.source === "string" ? it.source : `#${i}`, pixels: new Uint8Array(pixels) });
  });
  return { items, problems };
}
