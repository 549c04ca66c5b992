// Reads pen trajectories in UNIPEN text (the pendigits set) as screen-style strokes (y down), with writer ids.
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Stroke } from "@digit-kiosk/runtime/contracts/api";
import { REPO_ROOT } from "./mnist-idx.js";

export interface PenDigit {
  label: number;
  writer: number;
  strokes: Stroke[];
  /** the surface the strokes are in: the tablet's 500x500 box */
  width: number;
  height: number;
}

export const PENDIGITS_FILE = "pendigits-orig.tra";
const TABLET = 500;

export function defaultPendigitsPath(): string {
  return path.resolve(REPO_ROOT, "../shared/data/pendigits", PENDIGITS_FILE);
}

/** Parses UNIPEN text; tablet y grows upward, so it is flipped to the screen's y-down. */
export function parseUnipen(text: string): PenDigit[] {
  const out: PenDigit[] = [];
  let current: PenDigit | null = null;
  let stroke: Stroke | null = null;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === "") continue;
    if (line.startsWith(".SEGMENT")) {
      const m = /"(\d)"/.exec(line);
      if (m === null) throw new Error(`line ${n + 1}: .SEGMENT without a digit label`);
      current = { label: Number(m[1]), writer: -1, strokes: [], width: TABLET, height: TABLET };
      out.push(current);
    } else if (line.startsWith(".COMMENT")) {
      const parts = line.split(/\s+/);
      if (current !== null && parts.length >= 3) current.writer = Number(parts[2]);
    } else if (line.startsWith(".PEN_DOWN")) {
      if (current === null) throw new Error(`line ${n + 1}: .PEN_DOWN outside a segment`);
      stroke = [];
    } else if (line.startsWith(".PEN_UP")) {
      if (current !== null && stroke !== null && stroke.length > 0) current.strokes.push(stroke);
      stroke = null;
    } else if (line.startsWith(".")) {
      continue;
    } else if (stroke !== null) {
      const [xs, ys] = line.split(/\s+/);
      const x = Number(xs);
      const y = Number(ys);
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`line ${n + 1}: bad point "${line}"`);
      stroke.push([x, TABLET - y]);
    }
  }
  return out.filter((d) => d.strokes.length > 0);
}

export async function loadPendigits(file = defaultPendigitsPath()): Promise<PenDigit[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read pendigits from ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseUnipen(text);
}
