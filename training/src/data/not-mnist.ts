// The seed data set ("Handwritten Digits Dataset (not in MNIST)"): read from its tar.gz, ink from the PNG alpha, split so augmented copies never straddle train and test.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { checkDigitSet, PIXELS, type DigitSet } from "./dataset.js";
import { REPO_ROOT } from "./mnist-idx.js";
import { prepareInk } from "@digit-kiosk/runtime/preprocess/image";
import { decodePng28 } from "./png.js";
import { readTarFile } from "./tar.js";
import { writeFileAtomic } from "../util/atomic-write.js";

export const NOT_MNIST_ARCHIVE = "handwritten-digits-not-in-mnist.tar.gz";
export type NotMnistSplit = "train" | "test";

/**
 * The split, by the file number n of dataset/<d>/<d>/<n>.png (0..10772 per digit).
 * The author multiplied each drawing by augmentation and the copies are spread over the number
 * range, so a split by plain ranges leaks: with test = n >= 9000 and train = n < 9000, 1,564 of
 * digit 3's 1,773 test images have a near-copy (mean |diff| < 4/255 on a 14x14 grid) in train.
 * Measured (every 23rd test image of digits 0, 1, 3, 7, 9, nearest neighbour among all 10,773
 * images of its digit): a test image's nearest copy is at n >= 6000 every time. So train is
 * n < 6000, test is n >= 9000, and 6000..8999 is an unused guard band.
 */
export const NOT_MNIST_SPLIT = { trainEnd: 6000, testStart: 9000 } as const;

export function defaultNotMnistPath(): string {
  return path.resolve(REPO_ROOT, "../shared/data/not-mnist-digits", NOT_MNIST_ARCHIVE);
}

/** Decoded archives are cached here (gitignored): decoding 107,730 PNGs takes about a minute. */
export function defaultCacheDir(): string {
  return path.join(REPO_ROOT, "training", ".cache");
}

interface Decoded {
  set: DigitSet;
  /** file number n of each image */
  numbers: Uint16Array;
}

const ENTRY = /(?:^|\/)(\d)\/(?:\d\/)?(\d+)\.png$/;

async function decodeArchive(file: string): Promise<Decoded> {
  const entries = (await readTarFile(file)).flatMap((e) => {
    const m = ENTRY.exec(e.name);
    return m === null ? [] : [{ label: Number(m[1]), n: Number(m[2]), data: e.data }];
  });
  if (entries.length === 0) throw new Error(`${file}: no <digit>/<n>.png entries`);
  entries.sort((a, b) => a.label - b.label || a.n - b.n);
  const count = entries.length;
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  const numbers = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const e = entries[i]!;
    try {
      images.set(await decodePng28(e.data, "alpha"), i * PIXELS);
    } catch (err) {
      throw new Error(`${file}: ${e.label}/${e.n}.png: ${(err as Error).message}`);
    }
    labels[i] = e.label;
    numbers[i] = e.n;
  }
  return { set: checkDigitSet({ images, labels, count }, file), numbers };
}

async function cacheKey(file: string): Promise<string> {
  const s = await stat(file);
  return createHash("sha1").update(`${path.resolve(file)}|${s.size}|${s.mtimeMs}|v1`).digest("hex").slice(0, 16);
}

const memo = new Map<string, Decoded>();

/** All images of the archive, label-major and by file number; decoded once, then read from the cache. */
export async function loadNotMnistAll(file = defaultNotMnistPath(), cacheDir: string | null = defaultCacheDir()): Promise<Decoded> {
  if (!existsSync(file)) throw new Error(`seed data set not found: ${file}`);
  const key = await cacheKey(file);
  const hit = memo.get(key);
  if (hit) return hit;
  const cacheFile = cacheDir === null ? null : path.join(cacheDir, `not-mnist-${key}.bin`);
  let decoded: Decoded | undefined;
  if (cacheFile !== null && existsSync(cacheFile)) {
    const buf = new Uint8Array(await readFile(cacheFile));
    const count = new DataView(buf.buffer, buf.byteOffset).getUint32(0, true);
    if (buf.length === 4 + count * (PIXELS + 3)) {
      const images = buf.slice(4, 4 + count * PIXELS);
      const labels = buf.slice(4 + count * PIXELS, 4 + count * (PIXELS + 1));
      const numbers = new Uint16Array(buf.slice(4 + count * (PIXELS + 1)).buffer);
      decoded = { set: checkDigitSet({ images, labels, count }, cacheFile), numbers };
    }
  }
  if (decoded === undefined) {
    decoded = await decodeArchive(file);
    if (cacheFile !== null) {
      const { set, numbers } = decoded;
      const out = new Uint8Array(4 + set.count * (PIXELS + 3));
      new DataView(out.buffer).setUint32(0, set.count, true);
      out.set(set.images, 4);
      out.set(set.labels, 4 + set.count * PIXELS);
      out.set(new Uint8Array(numbers.buffer), 4 + set.count * (PIXELS + 1));
      await mkdir(path.dirname(cacheFile), { recursive: true });
      await writeFileAtomic(cacheFile, out);
    }
  }
  memo.set(key, decoded);
  return decoded;
}

/** Indices (into loadNotMnistAll's set) of one split, label-major. */
export function notMnistSplitIndices(numbers: Uint16Array, split: NotMnistSplit): number[] {
  const out: number[] = [];
  numbers.forEach((n, i) => {
    if (split === "train" ? n < NOT_MNIST_SPLIT.trainEnd : n >= NOT_MNIST_SPLIT.testStart) out.push(i);
  });
  return out;
}

/** Raw 28x28 alpha ink -> the 28x28 the runtime makes of the same PNG (crop, fit 20x20, centre of mass). */
export function prepareLikeServing(raw: Uint8Array, offset: number): Uint8Array {
  const ink = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) ink[i] = raw[offset + i]! / 255;
  return prepareInk({ width: 28, height: 28, ink });
}

/**
 * One split of the seed set as the runtime would see its PNGs: every image goes through the
 * runtime's own image preparation (the seed's digits are not MNIST-centred: often 12-15 px tall).
 */
export async function loadNotMnist(split: NotMnistSplit, file = defaultNotMnistPath(), cacheDir: string | null = defaultCacheDir()): Promise<DigitSet> {
  const { set, numbers } = await loadNotMnistAll(file, cacheDir);
  const indices = notMnistSplitIndices(numbers, split);
  const images = new Uint8Array(indices.length * PIXELS);
  const labels = new Uint8Array(indices.length);
  indices.forEach((src, i) => {
    images.set(prepareLikeServing(set.images, src * PIXELS), i * PIXELS);
    labels[i] = set.labels[src]!;
  });
  return checkDigitSet({ images, labels, count: indices.length }, `not-mnist ${split}`);
}

/** The PNG files of one split, as stored in the archive (what the eval sends to POST /api/predict). */
export async function loadNotMnistPngs(split: NotMnistSplit, file = defaultNotMnistPath()): Promise<Array<{ label: number; png: Uint8Array }>> {
  const out: Array<{ label: number; n: number; png: Uint8Array }> = [];
  for (const e of await readTarFile(file)) {
    const m = ENTRY.exec(e.name);
    if (m === null) continue;
    const n = Number(m[2]);
    if (split === "train" ? n < NOT_MNIST_SPLIT.trainEnd : n >= NOT_MNIST_SPLIT.testStart) out.push({ label: Number(m[1]), n, png: e.data });
  }
  out.sort((a, b) => a.label - b.label || a.n - b.n);
  return out.map(({ label, png }) => ({ label, png }));
}
