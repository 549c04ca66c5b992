// Proves the new data sources: tar.gz reading with alpha-ink PNGs, the seed set's leak-free split, image folders prepared like POST /api/predict, pendigits' writer-disjoint split, and seeded weighted mixes.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import sharp from "sharp";
import { preparePng } from "@digit-kiosk/runtime/preprocess/png";
import { PIXELS, type DigitSet } from "../src/data/dataset.js";
import { loadDigitFolder } from "../src/data/folder.js";
import { imageSource, PLAIN_IMAGE_SHARE, SampleMix, type SampleSource } from "../src/data/mix.js";
import { loadNotMnistAll, NOT_MNIST_SPLIT, notMnistSplitIndices, prepareLikeServing } from "../src/data/not-mnist.js";
import { parseUnipen } from "../src/data/pendigits.js";
import { PENDIGITS_VAL_WRITERS, pendigitsSplit } from "../src/data/strokes.js";
import { parseTar } from "../src/data/tar.js";
import { DEFAULT_AFFINE } from "../src/augment.js";
import { createRandom } from "../src/util/random.js";

/** A 28x28 PNG with black RGB and the ink in alpha: a bar at rows [top, top+h), cols [left, left+w). */
async function alphaPng(top: number, left: number, h: number, w: number): Promise<Buffer> {
  const rgba = Buffer.alloc(PIXELS * 4);
  for (let y = top; y < top + h; y++) for (let x = left; x < left + w; x++) rgba[(y * 28 + x) * 4 + 3] = 255;
  return sharp(rgba, { raw: { width: 28, height: 28, channels: 4 } }).png().toBuffer();
}

describe("seed set archive", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "notmnist-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it("reads dataset/<d>/<d>/<n>.png from a tar.gz made by tar, ink from alpha, sorted by digit and number", async () => {
    for (const [d, n, top] of [[7, 12, 4], [7, 3, 10], [2, 0, 6]] as const) {
      await mkdir(path.join(dir, "dataset", String(d), String(d)), { recursive: true });
      await writeFile(path.join(dir, "dataset", String(d), String(d), `${n}.png`), await alphaPng(top, 8, 12, 4));
    }
    execFileSync("tar", ["-czf", path.join(dir, "set.tar.gz"), "-C", dir, "dataset"]);
    const { set, numbers } = await loadNotMnistAll(path.join(dir, "set.tar.gz"), null);
    assert.equal(set.count, 3);
    assert.deepEqual(Array.from(set.labels), [2, 7, 7]);
    assert.deepEqual(Array.from(numbers), [0, 3, 12]);
    // the 7/3.png bar starts at row 10: alpha became white ink on black
    assert.equal(set.images[PIXELS + 10 * 28 + 9], 255);
    assert.equal(set.images[PIXELS + 9 * 28 + 9], 0);
    // prepared like serving: the bar is scaled to 20 rows tall
    const prepared = prepareLikeServing(set.images, PIXELS);
    let rows = 0;
    for (let y = 0; y < 28; y++) if (prepared.subarray(y * 28, y * 28 + 28).some((v) => v > 128)) rows++;
    assert.ok(rows >= 19 && rows <= 21, `${rows} inked rows`);
  });

  it("refuses a corrupt or truncated archive", () => {
    const tar = new Uint8Array(execFileSync("tar", ["-cf", "-", "-C", dir, "dataset"]));
    const broken = tar.slice();
    broken[100] = (broken[100]! + 1) & 0xff; // inside the first header: checksum no longer matches
    assert.throws(() => parseTar(broken), /checksum mismatch/);
    assert.throws(() => parseTar(tar.subarray(0, 700)), /truncated/);
    assert.equal(gzipSync(tar).length > 0, true);
  });

  it("splits by file number with a guard band: train and test never share a number range", () => {
    const numbers = Uint16Array.from({ length: 10773 }, (_, i) => i);
    const train = notMnistSplitIndices(numbers, "train");
    const test = notMnistSplitIndices(numbers, "test");
    assert.equal(train.length, NOT_MNIST_SPLIT.trainEnd);
    assert.equal(test.length, 10773 - NOT_MNIST_SPLIT.testStart);
    assert.ok(NOT_MNIST_SPLIT.testStart - NOT_MNIST_SPLIT.trainEnd >= 2500, "guard band of at least 2500 numbers");
    assert.ok(Math.max(...train) < Math.min(...test));
  });
});

describe("image folders", () => {
  it("loads <digit>/<file>.png exactly as POST /api/predict prepares a PNG, dark-on-light included", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "folder-"));
    try {
      await mkdir(path.join(dir, "1"));
      await mkdir(path.join(dir, "4"));
      const grey = Buffer.alloc(60 * 40, 255);
      for (let y = 10; y < 50; y++) for (let x = 18; x < 22; x++) grey[y * 40 + x] = 0; // dark bar on white
      const dark = await sharp(grey, { raw: { width: 40, height: 60, channels: 1 } }).png().toBuffer();
      await writeFile(path.join(dir, "1", "a.png"), dark);
      await writeFile(path.join(dir, "4", "b.png"), await alphaPng(5, 5, 10, 10));
      await writeFile(path.join(dir, "4", "notes.txt"), "ignored");
      const set = await loadDigitFolder(dir);
      assert.equal(set.count, 2);
      assert.deepEqual(Array.from(set.labels), [1, 4]);
      assert.deepEqual(set.images.subarray(0, PIXELS), await preparePng(new Uint8Array(await readFile(path.join(dir, "1", "a.png")))));
      assert.ok(set.images.subarray(0, PIXELS).some((v) => v === 255), "white ink on black");
      await assert.rejects(loadDigitFolder(path.join(dir, "missing")), /not found/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("pendigits split", () => {
  it("is by writer: no writer is on both sides, and the validation writers are exactly the listed ones", () => {
    const segment = (label: number, writer: number): string =>
      `.SEGMENT DIGIT 0 ? "${label}"\n.COMMENT ${label} ${writer} 1\n.PEN_DOWN\n10 10\n20 40\n.PEN_UP\n.DT 100\n`;
    const text = Array.from({ length: 30 }, (_, w) => segment(w % 10, w + 1) + segment((w + 3) % 10, w + 1)).join("");
    const all = parseUnipen(text);
    const train = pendigitsSplit(all, "train");
    const val = pendigitsSplit(all, "val");
    assert.equal(train.length + val.length, 60);
    const trainWriters = new Set(train.map((d) => d.writer));
    const valWriters = new Set(val.map((d) => d.writer));
    assert.deepEqual([...valWriters].sort((a, b) => a! - b!), [...PENDIGITS_VAL_WRITERS]);
    for (const w of valWriters) assert.ok(!trainWriters.has(w), `writer ${w} on both sides`);
  });
});

describe("weighted mixes", () => {
  const constantSource = (name: string, label: number, size: number): SampleSource => ({
    name,
    size,
    draw(k, out, offset) {
      out.fill(k, offset, offset + PIXELS);
      return label;
    },
  });

  it("draw in proportion to the weights, use every sample before repeating one, and repeat for the same seed", () => {
    const run = (seed: number): number[] => {
      const mix = new SampleMix([{ source: constantSource("a", 1, 50), weight: 3 }, { source: constantSource("b", 2, 1000), weight: 1 }], seed);
      const out = new Float32Array(PIXELS);
      const random = createRandom(seed);
      const seq: number[] = [];
      for (let i = 0; i < 4000; i++) {
        const label = mix.next(out, 0, random, true);
        seq.push(label * 10000 + out[0]!);
      }
      return seq;
    };
    const seq = run(5);
    assert.deepEqual(run(5), seq);
    assert.notDeepEqual(run(6), seq);
    const fromA = seq.filter((v) => Math.floor(v / 10000) === 1);
    assert.ok(Math.abs(fromA.length / seq.length - 0.75) < 0.03, `share of a: ${fromA.length / seq.length}`);
    // the first 50 draws of "a" are its 50 samples, each once
    assert.equal(new Set(fromA.slice(0, 50)).size, 50);
  });

  it("rejects a source without weight or samples", () => {
    assert.throws(() => new SampleMix([{ source: constantSource("a", 1, 5), weight: 0 }], 1), /a: weight must be > 0/);
    assert.throws(() => new SampleMix([{ source: constantSource("b", 1, 0), weight: 1 }], 1), /b: no samples/);
  });

  it("image sources augment on the fly and give the stored image when not augmenting", () => {
    const images = new Uint8Array(PIXELS);
    for (let y = 6; y < 22; y++) images[y * 28 + 14] = 255;
    const set: DigitSet = { images, labels: Uint8Array.of(1), count: 1 };
    const source = imageSource("one", set, DEFAULT_AFFINE);
    const plain = new Float32Array(PIXELS);
    const augmented = new Float32Array(PIXELS);
    assert.equal(source.draw(0, plain, 0, createRandom(1), false), 1);
    assert.deepEqual(Array.from(plain), Array.from(images));
    // a share of the draws keeps the normalized placement every served input has: the image as it is
    const random = createRandom(1);
    let same = 0;
    const draws = 400;
    for (let k = 0; k < draws; k++) {
      source.draw(0, augmented, 0, random, true);
      assert.ok(augmented.reduce((a, b) => a + b, 0) > 1000, "still ink after augmentation");
      if (augmented.every((v, i) => v === images[i])) same++;
    }
    assert.ok(Math.abs(same / draws - PLAIN_IMAGE_SHARE) < 0.08, `${same}/${draws} draws as they are, expected about ${PLAIN_IMAGE_SHARE}`);
  });
});
