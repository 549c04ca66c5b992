// Proves the seeded PRNG and shuffles are deterministic and unbiased enough, and the augmentation keeps digits intact.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { affineInto, DEFAULT_AFFINE } from "../src/augment.js";
import { createRandom, permutation } from "../src/util/random.js";

describe("random", () => {
  it("repeats for a seed and differs between seeds", () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const sa = Array.from({ length: 5 }, () => a.next());
    assert.deepEqual(sa, Array.from({ length: 5 }, () => b.next()));
    assert.notDeepEqual(sa, Array.from({ length: 5 }, () => c.next()));
    assert.ok(sa.every((v) => v >= 0 && v < 1));
  });

  it("permutation holds each index once and moves most of them", () => {
    const p = permutation(1000, createRandom(1));
    assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
    const fixed = p.filter((v, i) => v === i).length;
    assert.ok(fixed < 10, `${fixed} fixed points`);
  });

  it("int(n) covers 0..n-1 roughly evenly", () => {
    const r = createRandom(5);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 10000; i++) counts[r.int(10)]!++;
    assert.ok(counts.every((n) => n > 900 && n < 1100), counts.join(","));
  });
});

describe("affine augmentation", () => {
  const digit = new Uint8Array(784);
  for (let y = 8; y < 20; y++) for (let x = 12; x < 16; x++) digit[y * 28 + x] = 255; // a bar, like a "1"

  it("is the identity with a zero range", () => {
    const out = new Float32Array(784);
    affineInto(out, 0, digit, 0, { rotateDeg: 0, scale: 0, shear: 0, shiftPx: 0 }, createRandom(1));
    assert.deepEqual(Array.from(out), Array.from(digit));
  });

  it("moves ink around but keeps about the same amount of it", () => {
    const random = createRandom(3);
    const ink = digit.reduce((a, b) => a + b, 0);
    let changed = 0;
    for (let k = 0; k < 50; k++) {
      const out = new Float32Array(784);
      affineInto(out, 0, digit, 0, DEFAULT_AFFINE, random);
      const sum = out.reduce((a, b) => a + b, 0);
      assert.ok(sum > 0.7 * ink && sum < 1.3 * ink, `ink ${sum} vs ${ink}`);
      if (out.some((v, i) => Math.abs(v - digit[i]!) > 1)) changed++;
    }
    assert.ok(changed >= 45, `only ${changed}/50 augmented copies differ from the original`);
  });
});
