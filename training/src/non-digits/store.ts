// The stored non-digit test set (training/data/non-digits/non-digits.json): one drawing per line, strokes in surface pixels.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "../data/mnist-idx.js";
import { NOT_A_DIGIT, type Drawing } from "../data/strokes.js";

export const NON_DIGITS_FILE = path.join(REPO_ROOT, "training", "data", "non-digits", "non-digits.json");

interface StoredSet {
  description: string;
  generator: string;
  drawings: Array<{ kind: string; width: number; height: number; strokes: number[][][] }>;
}

/** JSON with one drawing per line, so diffs stay readable. */
export function formatNonDigits(description: string, generator: string, drawings: readonly Drawing[]): string {
  const lines = drawings.map((d) => `    ${JSON.stringify({ kind: d.kind ?? "unknown", width: d.width, height: d.height, strokes: d.strokes.map((s) => s.map((p) => [Math.round(p[0]), Math.round(p[1])])) })}`);
  return `{\n  "description": ${JSON.stringify(description)},\n  "generator": ${JSON.stringify(generator)},\n  "drawings": [\n${lines.join(",\n")}\n  ]\n}\n`;
}

export async function loadNonDigits(file = NON_DIGITS_FILE): Promise<Drawing[]> {
  const parsed = JSON.parse(await readFile(file, "utf8")) as StoredSet;
  if (!Array.isArray(parsed.drawings)) throw new Error(`${file}: no drawings array`);
  return parsed.drawings.map((d, i) => {
    if (!Array.isArray(d.strokes) || !(d.width > 0) || !(d.height > 0)) throw new Error(`${file}: drawing ${i} is malformed`);
    return { strokes: d.strokes.map((s) => s.map((p) => [p[0]!, p[1]!] as [number, number])), width: d.width, height: d.height, label: NOT_A_DIGIT, kind: d.kind };
  });
}
