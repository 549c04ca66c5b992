// Proves the seeded PRNG and shuffles are deterministic and unbiased enough, and the augmentation keeps digits intact.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { affineInto, DEFAULT_AFFINE, DEFAULT_ELASTIC } from "../src/augment.js";
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

describe("elastic distortion", () => {
  // a horizontal ramp (value 9 * x): the value found at a pixel tells its x displacement
  const ramp = new Uint8Array(784);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) ramp[y * 28 + x] = x * 9;
  const still = { rotateDeg: 0, scale: 0, shear: 0, shiftPx: 0 };

  it("is the identity with alpha 0", () => {
    const out = new Float32Array(784);
    affineInto(out, 0, ramp, 0, still, createRandom(1), { alpha: 0, sigma: 4 });
    assert.deepEqual(Array.from(out), Array.from(ramp));
  });

  it("displaces pixels smoothly by about 1.4 px with the default range, the same way for a seed", () => {
    const random = createRandom(7);
    let sq = 0;
    let n = 0;
    let roughness = 0;
    for (let k = 0; k < 40; k++) {
      const out = new Float32Array(784);
      affineInto(out, 0, ramp, 0, still, random, DEFAULT_ELASTIC);
      for (let y = 8; y < 20; y++) {
        for (let x = 8; x < 20; x++) {
          const d = out[y * 28 + x]! / 9 - x;
          const right = out[y * 28 + x + 1]! / 9 - (x + 1);
          sq += d * d;
          roughness += Math.abs(right - d);
          n++;
        }
      }
    }
    const std = Math.sqrt(sq / n);
    assert.ok(std > 0.8 && std < 2.2, `displacement std ${std.toFixed(2)} px`);
    // neighbours move together: the field is smooth, not per-pixel noise
    assert.ok(roughness / n < 0.35 * std, `neighbour difference ${(roughness / n).toFixed(2)} vs std ${std.toFixed(2)}`);
    const a = new Float32Array(784);
    const b = new Float32Array(784);
    affineInto(a, 0, ramp, 0, still, createRandom(9), DEFAULT_ELASTIC);
    affineInto(b, 0, ramp, 0, still, createRandom(9), DEFAULT_ELASTIC);
    assert.deepEqual(Array.from(a), Array.from(b));
  });

  it("writes only its own 784 values of a batch buffer", () => {
    const batch = new Float32Array(3 * 784).fill(5);
    affineInto(batch, 784, ramp, 0, still, createRandom(2), DEFAULT_ELASTIC);
    assert.ok(batch.subarray(0, 784).every((v) => v === 5) && batch.subarray(1568).every((v) => v === 5));
    assert.ok(batch.subarray(784, 1568).some((v, i) => Math.abs(v - (i % 28) * 9) > 1));
  });
});
