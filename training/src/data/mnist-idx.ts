// Reads the original MNIST IDX files (gzipped or not) from a folder into a DigitSet.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { checkDigitSet, PIXELS, type DigitSet } from "./dataset.js";

export type MnistSplit = "train" | "test";

const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;

const PREFIX: Record<MnistSplit, string> = { train: "train", test: "t10k" };

/** The repository root (this file is training/src/data/mnist-idx.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** ../shared/data/mnist next to the repository. */
export function defaultMnistDir(): string {
  return path.resolve(REPO_ROOT, "../shared/data/mnist");
}

/** Candidate file names for one IDX file: the canonical -idx and the .idx spellings, gzipped or not. */
function candidates(split: MnistSplit, kind: "images" | "labels"): string[] {
  const rank = kind === "images" ? 3 : 1;
  const base = [`${PREFIX[split]}-${kind}-idx${rank}-ubyte`, `${PREFIX[split]}-${kind}.idx${rank}-ubyte`];
  return base.flatMap((b) => [`${b}.gz`, b]);
}

function findFile(dir: string, split: MnistSplit, kind: "images" | "labels"): string | undefined {
  return candidates(split, kind)
    .map((name) => path.join(dir, name))
    .find((file) => existsSync(file));
}

/** True when the folder holds both IDX files of the split. */
export function hasMnist(dir: string = defaultMnistDir(), split: MnistSplit = "train"): boolean {
  return findFile(dir, split, "images") !== undefined && findFile(dir, split, "labels") !== undefined;
}

async function readIdx(file: string): Promise<Buffer> {
  const raw = await readFile(file);
  return raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}

function header(buf: Buffer, file: string, magic: number, dims: number): number[] {
  const headerBytes = 4 + 4 * dims;
  if (buf.length < headerBytes) throw new Error(`${file}: too short for an IDX header`);
  const got = buf.readUInt32BE(0);
  if (got !== magic) throw new Error(`${file}: magic ${got}, expected ${magic} (not an MNIST IDX file?)`);
  const sizes: number[] = [];
  for (let i = 0; i < dims; i++) sizes.push(buf.readUInt32BE(4 + 4 * i));
  return sizes;
}

/**
 * Loads one split of MNIST. dir defaults to ../shared/data/mnist beside the repository.
 * Images are copied into their own buffer (white ink on black, as MNIST stores them).
 */
export async function loadMnistIdx(split: MnistSplit, dir: string = defaultMnistDir()): Promise<DigitSet> {
  const imagesFile = findFile(dir, split, "images");
  const labelsFile = findFile(dir, split, "labels");
  if (imagesFile === undefined || labelsFile === undefined) {
    const missing = [imagesFile === undefined ? "images" : "", labelsFile === undefined ? "labels" : ""].filter(Boolean);
    throw new Error(
      `MNIST ${split} ${missing.join(" and ")} not found in ${dir} (looked for ${[
        ...candidates(split, "images"),
        ...candidates(split, "labels"),
      ].join(", ")}); pass --mnist-dir or use --data embedded`,
    );
  }
  const [imageBuf, labelBuf] = await Promise.all([readIdx(imagesFile), readIdx(labelsFile)]);
  const [count = 0, rows, cols] = header(imageBuf, imagesFile, IMAGES_MAGIC, 3);
  if (rows !== 28 || cols !== 28) throw new Error(`${imagesFile}: images are ${rows}x${cols}, expected 28x28`);
  const [labelCount] = header(labelBuf, labelsFile, LABELS_MAGIC, 1);
  if (labelCount !== count) throw new Error(`${labelsFile}: ${labelCount} labels for ${count} images in ${imagesFile}`);
  if (imageBuf.length !== 16 + count * PIXELS) throw new Error(`${imagesFile}: ${imageBuf.length} bytes, expected ${16 + count * PIXELS}`);
  if (labelBuf.length !== 8 + count) throw new Error(`${labelsFile}: ${labelBuf.length} bytes, expected ${8 + count}`);
  const images = new Uint8Array(imageBuf.subarray(16));
  const labels = new Uint8Array(labelBuf.subarray(8));
  return checkDigitSet({ images, labels, count }, `MNIST ${split} (${dir})`);
}
