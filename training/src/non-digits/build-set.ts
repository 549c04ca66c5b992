// Builds training/data/non-digits/non-digits.json, the deterministic non-digit test set
// (regenerate: npx tsx training/src/non-digits/build-set.ts; a test checks the stored file is current).
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { loadPendigits } from "../data/pendigits.js";
import { pendigitsSplit } from "../data/strokes.js";
import { createRandom } from "../util/random.js";
import { generateNonDigit } from "./generate.js";
import { formatNonDigits, NON_DIGITS_FILE } from "./store.js";
import { HELD_OUT_TEMPLATES, TEST_SET_V1_TEMPLATES } from "./templates.js";

/** The test set's own seed: training and validation generate non-digits from other seeds. */
export const NON_DIGITS_TEST_SEED = 4_040_404;
export const NON_DIGITS_TEST_COUNT = 320;

/** The file's text, from the generator and the pendigits validation writers. */
export async function buildNonDigitSet(pendigitsFile?: string): Promise<string> {
  // pairs are made of digits by the pendigits validation writers only (never trained on)
  const digits = pendigitsSplit(await loadPendigits(pendigitsFile), "val");
  const random = createRandom(NON_DIGITS_TEST_SEED);
  const drawings = Array.from({ length: NON_DIGITS_TEST_COUNT }, (_, i) =>
    // every other symbol comes from the held-out templates, which training never sees; the rest from
    // the training templates plus the digit-like ones (not trained on either)
    generateNonDigit(random, {
      digits,
      templates: i % 2 === 0 ? HELD_OUT_TEMPLATES : TEST_SET_V1_TEMPLATES,
      kindWeights: { symbol: 3, pair: 2, tiny: 0.7, dots: 0.7 },
    }),
  );
  return formatNonDigits(
    "Drawings that are not a digit: scribbles, hatching, spirals, letters and symbols (half of them from templates never used in training), two digits side by side (pendigits validation writers 5,10,15,20,25,30), taps, near-empty drawings and scattered dots. Expected answer: digit null. Pairs contain pendigits strokes (Alimoglu & Alpaydin, UCI, CC BY 4.0).",
    `training/src/non-digits/build-set.ts (seed ${NON_DIGITS_TEST_SEED}, ${NON_DIGITS_TEST_COUNT} drawings)`,
    drawings,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await buildNonDigitSet();
  await writeFile(NON_DIGITS_FILE, text);
  process.stdout.write(`${NON_DIGITS_FILE}: ${NON_DIGITS_TEST_COUNT} drawings, ${text.length} bytes\n`);
}
