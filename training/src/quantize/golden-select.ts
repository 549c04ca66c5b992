// Picks the golden digits a package ships: for each digit, the first MNIST test images and rendered
// pendigits drawings that every candidate model answers correctly and confidently, so that a device
// that gets one of them wrong is running a broken model, not meeting a hard digit.
import type { GoldenItem } from "@digit-kiosk/runtime/model/golden";
import { PIXELS, type DigitSet } from "../data/dataset.js";
import type { ModelScore } from "./score.js";

export interface GoldenSource {
  /** e.g. "mnist-test" */
  name: string;
  set: DigitSet;
  /** the same set scored by every model the golden digits must hold for */
  scores: readonly ModelScore[];
  perDigit: number;
  /** a name for image i, e.g. "mnist-test#i" */
  label?: (index: number) => string;
}

export const GOLDEN_MIN_CONFIDENCE = 0.9;

export function selectGolden(sources: readonly GoldenSource[]): GoldenItem[] {
  const items: GoldenItem[] = [];
  for (const src of sources) {
    const taken = new Array<number>(10).fill(0);
    // A stride through the set spreads the picks over writers and positions instead of the first rows.
    const stride = Math.max(1, Math.floor(src.set.count / (src.perDigit * 40)));
    for (let pass = 0; pass < stride && taken.some((t) => t < src.perDigit); pass++) {
      for (let i = pass; i < src.set.count; i += stride) {
        const label = src.set.labels[i]!;
        if (label > 9 || taken[label]! >= src.perDigit) continue;
        const sure = src.scores.every((s) => s.predictions[i] === label && s.confidence[i]! >= GOLDEN_MIN_CONFIDENCE);
        if (!sure) continue;
        taken[label]!++;
        items.push({ label, source: src.label?.(i) ?? `${src.name}#${i}`, pixels: src.set.images.slice(i * PIXELS, (i + 1) * PIXELS) });
      }
    }
    const short = taken.map((t, d) => (t < src.perDigit ? d : -1)).filter((d) => d >= 0);
    if (short.length > 0) throw new Error(`golden digits: ${src.name} has too few confidently right images of digit(s) ${short.join(", ")}`);
  }
  return items.sort((a, b) => a.label - b.label);
}
