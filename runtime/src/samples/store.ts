// The opt-in sample store: drawings visitors labelled, as <dir>/<digit>/<id>.png (the 28x28 image, written
// with sharp) and <id>.json (the strokes), each written atomically; the PNG last, so a PNG always has its JSON.
import { randomBytes } from "node:crypto";
import { mkdir, readdir, statfs } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import type { ModelRef, Stroke } from "../contracts/api.js";
import { logger } from "../log.js";
import { PREPROCESSING_ID } from "../preprocess/strokes.js";
import { writeFileAtomic } from "../util/atomic-write.js";

const log = logger("samples");
const SIDE = 28;
/** Below this much free space nothing more is stored: the device must keep working. */
const MIN_FREE_BYTES = 64 * 1024 * 1024;

export interface SampleStoreOptions {
  dir: string;
  /** collectSamples: when false nothing is ever written */
  enabled: boolean;
  /** stop storing past this many samples */
  maxSamples: number;
}

export interface NewSample {
  label: number;
  predicted: number | null;
  strokes: Stroke[];
  width: number;
  height: number;
  /** the 784 bytes (white ink on black) the model sees for these strokes */
  input: Uint8Array;
  model: ModelRef | null;
}

/** The JSON written beside each PNG. */
export interface SampleRecord {
  id: string;
  label: number;
  predicted: number | null;
  correct: boolean;
  createdAt: string;
  width: number;
  height: number;
  strokes: Stroke[];
  model: ModelRef | null;
  preprocessing: string;
  /** the PNG beside this file */
  image: string;
}

/** An id that sorts by time and never collides: 2026-11-29T14-50-57-123Z-a1b2c3. */
export const newSampleId = (now = new Date()): string => `${now.toISOString().replace(/[:.]/g, "-")}-${randomBytes(3).toString("hex")}`;

/** 784 bytes -> an 8-bit greyscale 28x28 PNG. */
export function encodeSamplePng(input: Uint8Array): Promise<Buffer> {
  if (input.length !== SIDE * SIDE) return Promise.reject(new Error(`expected ${SIDE * SIDE} bytes, got ${input.length}`));
  return sharp(Buffer.from(input), { raw: { width: SIDE, height: SIDE, channels: 1 } })
    .toColourspace("b-w")
    .png({ compressionLevel: 9 })
    .toBuffer();
}

export class SampleStore {
  private stored = 0;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SampleStoreOptions) {}

  get collecting(): boolean {
    return this.options.enabled;
  }

  get dir(): string {
    return this.options.dir;
  }

  /** Samples in the store (counted at start, then kept up to date). */
  get count(): number {
    return this.stored;
  }

  async start(): Promise<void> {
    if (!this.options.enabled) return;
    this.stored = await countSamples(this.options.dir);
    log.info("collecting samples", { dir: this.options.dir, count: this.stored, max: this.options.maxSamples });
  }

  async stop(): Promise<void> {
    await this.tail.catch(() => undefined);
  }

  /** Stores a labelled drawing; resolves with its id, or null when collecting is off or the store is full. */
  save(sample: NewSample): Promise<string | null> {
    if (!this.options.enabled) return Promise.resolve(null);
    // One write at a time: the SD card is slow and the order of ids should be the order on disk.
    const run = this.tail.then(() => this.write(sample));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(sample: NewSample): Promise<string | null> {
    if (this.stored >= this.options.maxSamples) {
      log.warn("sample store is full; not storing", { max: this.options.maxSamples });
      return null;
    }
    const folder = path.join(this.options.dir, String(sample.label));
    await mkdir(folder, { recursive: true });
    const fs = await statfs(folder);
    if (fs.bavail * fs.bsize < MIN_FREE_BYTES) {
      log.warn("disk nearly full; not storing samples", { dir: this.options.dir });
      return null;
    }
    const id = newSampleId();
    const record: SampleRecord = {
      id,
      label: sample.label,
      predicted: sample.predicted,
      correct: sample.predicted === sample.label,
      createdAt: new Date().toISOString(),
      width: sample.width,
      height: sample.height,
      strokes: sample.strokes,
      model: sample.model,
      preprocessing: PREPROCESSING_ID,
      image: `${id}.png`,
    };
    const png = await encodeSamplePng(sample.input);
    await writeFileAtomic(path.join(folder, `${id}.json`), JSON.stringify(record) + "\n");
    await writeFileAtomic(path.join(folder, `${id}.png`), png);
    this.stored++;
    log.info("sample stored", { id, label: sample.label, predicted: sample.predicted });
    return id;
  }
}

/** PNGs under <dir>/0 .. <dir>/9; a missing folder counts 0. */
export async function countSamples(dir: string): Promise<number> {
  let total = 0;
  for (let digit = 0; digit <= 9; digit++) {
    try {
      const names = await readdir(path.join(dir, String(digit)));
      total += names.filter((n) => n.endsWith(".png") && !n.startsWith(".")).length;
    } catch {
      // no samples of this digit yet
    }
  }
  return total;
}
