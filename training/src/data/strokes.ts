// Stroke data sets: drawings with labels and writers, pendigits' writer-disjoint split, and rendering through the runtime's preprocessing.
import type { Stroke } from "@digit-kiosk/runtime/contracts/api";
import { renderStrokes } from "@digit-kiosk/runtime/preprocess/index";
import { checkDigitSet, PIXELS, type DigitSet } from "./dataset.js";
import type { PenDigit } from "./pendigits.js";

/** Label of a drawing that is not a digit (the head's eleventh unit in training, expected null when served). */
export const NOT_A_DIGIT = 10;

export interface Drawing {
  strokes: Stroke[];
  width: number;
  height: number;
  /** 0..9, or NOT_A_DIGIT */
  label: number;
  /** who drew it, when known */
  writer?: number;
  /** what kind of non-digit it is (scribble, letter:A, pair, tiny ...) */
  kind?: string;
}

/**
 * pendigits writers kept out of training for validation: every fifth writer (6 of 30, 1,499 of
 * 7,494 samples). The split is by writer, never by sample, so validation measures people the
 * model has never seen.
 */
export const PENDIGITS_VAL_WRITERS: readonly number[] = [5, 10, 15, 20, 25, 30];

export type PendigitsSplit = "train" | "val";

export function pendigitsSplit(all: readonly PenDigit[], split: PendigitsSplit): Drawing[] {
  const val = new Set(PENDIGITS_VAL_WRITERS);
  return all
    .filter((d) => val.has(d.writer) === (split === "val"))
    .map((d) => ({ strokes: d.strokes, width: d.width, height: d.height, label: d.label, writer: d.writer }));
}

/** Renders digit drawings (no augmentation) into a DigitSet, exactly as the runtime would. */
export function renderDrawings(drawings: readonly Drawing[], what: string): DigitSet {
  const images = new Uint8Array(drawings.length * PIXELS);
  const labels = new Uint8Array(drawings.length);
  drawings.forEach((d, i) => {
    if (d.label > 9) throw new Error(`${what}: drawing ${i} is not a digit`);
    images.set(renderStrokes(d.strokes, d.width, d.height), i * PIXELS);
    labels[i] = d.label;
  });
  return checkDigitSet({ images, labels, count: drawings.length }, what);
}
