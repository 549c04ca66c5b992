// Proves stroke augmentation (seeded, stroke count kept, renders through the runtime, pen width varies), the non-digit generator (deterministic, stored set current) and calibration (temperature found, threshold honours its budget).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import type { Stroke } from "@digit-kiosk/runtime/contracts/api";
import { renderStrokes } from "@digit-kiosk/runtime/preprocess/index";
import { chooseThreshold, fitTemperature, shareBelow, softmaxRows } from "../src/calibration.js";
import { NOT_A_DIGIT } from "../src/data/strokes.js";
import { buildNonDigitSet } from "../src/non-digits/build-set.js";
import { generateNonDigit, NON_DIGIT_KINDS } from "../src/non-digits/generate.js";
import { loadNonDigits, NON_DIGITS_FILE } from "../src/non-digits/store.js";
import { DIGIT_LIKE_TEMPLATES, HELD_OUT_TEMPLATES, TRAIN_TEMPLATES } from "../src/non-digits/templates.js";
import { augmentStrokes, DEFAULT_STROKE_AUGMENT } from "../src/stroke-augment.js";
import { createRandom } from "../src/util/random.js";

const SEVEN: Stroke[] = [
  [[100, 100], [300, 100], [180, 400]],
  [[150, 250], [260, 250]],
];

const ink = (img: Uint8Array): number => img.reduce((a, v) => a + v, 0);

describe("stroke augmentation", () => {
  it("is seeded, keeps every stroke and changes the points", () => {
    const a = augmentStrokes(SEVEN, DEFAULT_STROKE_AUGMENT, createRandom(3));
    const b = augmentStrokes(SEVEN, DEFAULT_STROKE_AUGMENT, createRandom(3));
    assert.deepEqual(a, b);
    assert.equal(a.strokes.length, SEVEN.length);
    assert.notDeepEqual(a.strokes, SEVEN);
    for (const s of a.strokes) assert.ok(s.length >= 2, "endpoints are never dropped");
  });

  it("with a zero range gives back the same drawing (up to densified points on the same path)", () => {
    const zero = { rotateDeg: 0, aspect: 0, shear: 0, wobble: 0, jitter: 0, dropout: 0, penWidth: 0 };
    const out = augmentStrokes(SEVEN, zero, createRandom(9));
    const original = renderStrokes(SEVEN, 500, 500);
    const rendered = renderStrokes(out.strokes, 500, 500, out.render);
    let diff = 0;
    for (let i = 0; i < original.length; i++) diff += Math.abs(original[i]! - rendered[i]!);
    assert.ok(diff / original.length < 2, `mean difference ${diff / original.length}`);
  });

  it("varies the pen width over many draws, and every variation still renders a readable amount of ink", () => {
    const random = createRandom(11);
    const inks: number[] = [];
    const pens = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const out = augmentStrokes(SEVEN, DEFAULT_STROKE_AUGMENT, random);
      pens.add(Math.round((out.render.penRatio ?? 0) * 1000));
      inks.push(ink(renderStrokes(out.strokes, 500, 500, out.render)));
    }
    assert.ok(pens.size > 10, "pen width varies");
    const base = ink(renderStrokes(SEVEN, 500, 500));
    assert.ok(Math.min(...inks) > base * 0.5 && Math.max(...inks) < base * 1.8, `ink ${Math.min(...inks)}..${Math.max(...inks)} vs ${base}`);
  });
});

describe("non-digits", () => {
  it("the generator is deterministic and makes every kind", () => {
    const options = { templates: TRAIN_TEMPLATES, digits: [{ strokes: SEVEN, width: 500, height: 500, label: 7 }] };
    const make = (seed: number) => {
      const random = createRandom(seed);
      return Array.from({ length: 200 }, () => generateNonDigit(random, options));
    };
    const a = make(1);
    assert.deepEqual(make(1), a);
    assert.ok(a.every((d) => d.label === NOT_A_DIGIT && d.strokes.length > 0));
    const kinds = new Set(a.map((d) => d.kind!.split(":")[0]));
    for (const k of NON_DIGIT_KINDS) assert.ok(kinds.has(k), `no ${k}`);
  });

  it("training never sees the held-out or the digit-like templates", () => {
    for (const t of [...HELD_OUT_TEMPLATES, ...DIGIT_LIKE_TEMPLATES]) assert.ok(!TRAIN_TEMPLATES.includes(t), t);
    assert.ok(DIGIT_LIKE_TEMPLATES.includes("question") && DIGIT_LIKE_TEMPLATES.includes("A"));
  });

  it("the stored set is exactly what its generator script makes, and has held-out symbols and pairs", async () => {
    assert.equal(await readFile(NON_DIGITS_FILE, "utf8"), await buildNonDigitSet(), "regenerate with: npx tsx training/src/non-digits/build-set.ts");
    const stored = await loadNonDigits();
    assert.ok(stored.length >= 300 && stored.length <= 500);
    assert.ok(stored.some((d) => HELD_OUT_TEMPLATES.some((t) => d.kind === `symbol:${t}`)));
    assert.ok(stored.some((d) => d.kind === "pair"));
  });
});

describe("calibration", () => {
  it("finds the temperature that generated the labels", () => {
    // labels drawn from softmax(z / 2): the best temperature for logits z is about 2
    const random = createRandom(5);
    const n = 4000;
    const logits = new Float32Array(n * 10);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 10; c++) logits[i * 10 + c] = 4 * random.normal();
      const p = softmaxRows(logits.subarray(i * 10, i * 10 + 10), 2);
      let t = random.next();
      let c = 0;
      while (c < 9 && (t -= p[c]!) > 0) c++;
      labels[i] = c;
    }
    const temperature = fitTemperature(logits, labels);
    assert.ok(Math.abs(temperature - 2) < 0.2, `temperature ${temperature}`);
  });

  it("picks the highest threshold that keeps each digit set's null share within the budget", () => {
    const a = Float32Array.from({ length: 1000 }, (_, i) => 0.5 + i / 2000);
    const b = Float32Array.from({ length: 200 }, (_, i) => 0.9 + i / 2000);
    const threshold = chooseThreshold([a, b], 0.01);
    assert.ok(shareBelow(a, threshold) <= 0.01 && shareBelow(b, threshold) <= 0.01);
    assert.ok(shareBelow(a, threshold + 0.002) > 0.01 || shareBelow(b, threshold + 0.002) > 0.01, "not lower than needed");
  });
});
