// Image folders laid out as <digit>/<file>.png (the seed set's layout, and what the kiosk collects), prepared exactly as POST /api/predict prepares a PNG.
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { preparePng } from "@digit-kiosk/runtime/preprocess/png";
import { checkDigitSet, PIXELS, type DigitSet } from "./dataset.js";

export interface LabelledFile {
  label: number;
  file: string;
}

/** The PNG files under dir/<0..9>/, sorted by digit then name (stable for seeded mixes). */
export async function listDigitFolder(dir: string): Promise<LabelledFile[]> {
  if (!existsSync(dir)) throw new Error(`image folder not found: ${dir}`);
  const out: LabelledFile[] = [];
  for (let digit = 0; digit <= 9; digit++) {
    const sub = path.join(dir, String(digit));
    if (!existsSync(sub)) continue;
    const names = (await readdir(sub)).filter((n) => n.toLowerCase().endsWith(".png")).sort();
    for (const name of names) out.push({ label: digit, file: path.join(sub, name) });
  }
  if (out.length === 0) throw new Error(`no <digit>/<file>.png images in ${dir}`);
  return out;
}

/** Every PNG of the folder through the runtime's PNG preparation; a file that does not decode is named in the error. */
export async function loadDigitFolder(dir: string): Promise<DigitSet> {
  const files = await listDigitFolder(dir);
  const images = new Uint8Array(files.length * PIXELS);
  const labels = new Uint8Array(files.length);
  for (let i = 0; i < files.length; i++) {
    const { label, file } = files[i]!;
    try {
      images.set(await preparePng(new Uint8Array(await readFile(file))), i * PIXELS);
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
    labels[i] = label;
  }
  return checkDigitSet({ images, labels, count: files.length }, dir);
}
