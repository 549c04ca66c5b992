// Decodes small PNGs to 28x28 grey bytes with sharp: one channel picked (alpha for ink-in-alpha sets) or luminance.
import sharp from "sharp";
import { PIXELS } from "./dataset.js";

export type InkChannel = "alpha" | "grey-inverted" | "grey";

sharp.concurrency(1);

/**
 * One PNG -> 784 bytes, white ink (255) on black. "alpha": ink is opacity (the seed set);
 * "grey": light ink on dark; "grey-inverted": dark ink on light. Images that are not 28x28 are
 * resized to 28x28 (fill), which is only right for images already prepared MNIST-style.
 */
export async function decodePng28(png: Uint8Array, channel: InkChannel): Promise<Uint8Array> {
  let pipeline = sharp(png, { failOn: "error" });
  const meta = await pipeline.metadata();
  if (meta.width !== 28 || meta.height !== 28) pipeline = pipeline.resize(28, 28, { fit: "fill" });
  if (channel === "alpha") {
    if (meta.hasAlpha !== true) throw new Error("PNG has no alpha channel, but its ink was expected there");
    pipeline = pipeline.ensureAlpha().extractChannel(3);
  } else pipeline = pipeline.flatten({ background: channel === "grey" ? "#000000" : "#ffffff" }).greyscale();
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 || data.length !== PIXELS) throw new Error(`decoded ${info.width}x${info.height}x${info.channels}, expected 28x28x1`);
  const out = new Uint8Array(data);
  if (channel === "grey-inverted") for (let i = 0; i < PIXELS; i++) out[i] = 255 - out[i]!;
  return out;
}
