// Proves the strokes -> 28x28 preprocessing follows MNIST's procedure and is invariant to where and how big a digit is drawn.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Stroke } from "../src/contracts/api.js";
import { centreOfMass, IMAGE_SIZE, renderStrokes } from "../src/preprocess/index.js";

/** A "7" as strokes in a unit square, mapped into a box at (x, y) of the given size. */
function seven(x: number, y: number, size: number, step = 0.1): Stroke[] {
  const path: Array<[number, number]> = [];
  for (let t = 0; t <= 1 + 1e-9; t += step) path.push([0.1 + 0.8 * t, 0.05]);
  for (let t = step; t <= 1 + 1e-9; t += step) path.push([0.9 - 0.45 * t, 0.05 + 0.9 * t]);
  return [path.map(([u, v]) => [x + u * size, y + v * size] as [number, number])];
}

function inkBox(img: Uint8Array): { w: number; h: number; minX: number; minY: number } {
  let minX = 99, minY = 99, maxX = -1, maxY = -1;
  for (let j = 0; j < IMAGE_SIZE; j++) {
    for (let i = 0; i < IMAGE_SIZE; i++) {
      if (img[j * IMAGE_SIZE + i]! > 0) {
        minX = Math.min(minX, i); maxX = Math.max(maxX, i);
        minY = Math.min(minY, j); maxY = Math.max(maxY, j);
      }
    }
  }
  return { w: maxX - minX + 1, h: maxY - minY + 1, minX, minY };
}

const meanAbsDiff = (a: Uint8Array, b: Uint8Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
};

test("an empty drawing gives an all-black image", () => {
  const img = renderStrokes([], 400, 400);
  assert.equal(img.length, 784);
  assert.ok(img.every((v) => v === 0));
});

test("a small digit in a corner and a large one in the middle give nearly the same image", () => {
  const small = renderStrokes(seven(5, 5, 60), 800, 480);
  const large = renderStrokes(seven(250, 40, 400), 800, 480);
  const inked = small.filter((v) => v > 0).length;
  assert.ok(inked > 40, `expected a visible digit, got ${inked} inked pixels`);
  const diff = meanAbsDiff(small, large);
  assert.ok(diff < 3, `mean abs difference ${diff.toFixed(2)} of 255`);
});

test("the digit fits a 20x20 box, keeps its aspect ratio, and its centre of mass is at the centre", () => {
  const img = renderStrokes(seven(100, 100, 300), 800, 480);
  const box = inkBox(img);
  assert.ok(box.h >= 19 && box.h <= 21, `height ${box.h}`);
  assert.ok(box.w >= 16 && box.w <= 20, `width ${box.w}`);
  const com = centreOfMass(img, IMAGE_SIZE, IMAGE_SIZE)!;
  assert.ok(Math.abs(com.x - 14) < 0.6 && Math.abs(com.y - 14) < 0.6, `centre of mass ${com.x},${com.y}`);

  // A wide drawing (2:1) stays wide: 20 across, about 10 down.
  const wide = renderStrokes([[[0, 0], [200, 0], [200, 100], [0, 100], [0, 0]]], 800, 480);
  const wb = inkBox(wide);
  assert.ok(wb.w >= 19 && wb.w <= 21, `wide width ${wb.w}`);
  assert.ok(wb.h >= 9 && wb.h <= 13, `wide height ${wb.h}`);
});

test("a '1' stays a thin stroke, not a blob", () => {
  const img = renderStrokes([[[400, 50], [402, 200], [404, 400]]], 800, 480);
  const box = inkBox(img);
  assert.ok(box.h >= 19, `height ${box.h}`);
  assert.ok(box.w <= 5, `a vertical line should be a few pixels wide, got ${box.w}`);
});

test("a single tap is a small dot", () => {
  const img = renderStrokes([[[300, 200]]], 800, 480);
  const inked = img.filter((v) => v > 0).length;
  assert.ok(inked > 0 && inked <= 16, `a dot should ink a few pixels, got ${inked}`);
});

test("a dense point stream renders like the same path with few points", () => {
  const sparse = renderStrokes(seven(100, 50, 300, 0.1), 800, 480);
  const dense = renderStrokes(seven(100, 50, 300, 0.001), 800, 480);
  const diff = meanAbsDiff(sparse, dense);
  assert.ok(diff < 2, `mean abs difference ${diff.toFixed(2)}`);
});

test("several strokes are all drawn, and overlaps do not get brighter than full ink", () => {
  const plus: Stroke[] = [
    [[100, 200], [300, 200]],
    [[200, 100], [200, 300]],
  ];
  const img = renderStrokes(plus, 800, 480);
  const box = inkBox(img);
  assert.ok(box.w >= 19 && box.h >= 19, `both strokes drawn: ${box.w}x${box.h}`);
  assert.ok(Math.max(...img) === 255);
});

test("rendering is deterministic and does not depend on the surface size for a normal-sized digit", () => {
  const a = renderStrokes(seven(10, 10, 200), 800, 480);
  const b = renderStrokes(seven(10, 10, 200), 1920, 1080);
  assert.deepEqual(a, b);
});

test("a shaky line (tremor, dense points) renders close to the steady line", () => {
  const steady = seven(100, 50, 300, 0.002);
  let state = 7;
  const wobble = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648 - 0.5) * 6; // +-3 px tremor on a 300 px digit
  };
  const shaky = steady.map((s) => s.map(([x, y]) => [x + wobble(), y + wobble()] as [number, number]));
  const diff = meanAbsDiff(renderStrokes(steady, 800, 480), renderStrokes(shaky, 800, 480));
  assert.ok(diff < 8, `mean abs difference ${diff.toFixed(2)}`);
  const box = inkBox(renderStrokes(shaky, 800, 480));
  assert.ok(box.h >= 19 && box.h <= 21, `still fitted to 20 px: ${box.h}`);
});

test("a huge drawing running off the surface is scaled down like any other", () => {
  const huge = renderStrokes(seven(-300, -200, 2000), 800, 480);
  const normal = renderStrokes(seven(100, 50, 300), 800, 480);
  const diff = meanAbsDiff(huge, normal);
  assert.ok(diff < 3, `mean abs difference ${diff.toFixed(2)}`);
});
