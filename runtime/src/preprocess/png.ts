// Decodes an uploaded PNG with sharp into an ink map (dark-on-light, light-on-dark, or ink in alpha).
import sharp from "sharp";
import { badRequest } from "../contracts/errors.js";
import { inkFromGrey, prepareInk, type InkMap } from "./image.js";

/** Largest decoded image side accepted, pixels. */
export const MAX_IMAGE_SIDE = 4096;

sharp.concurrency(1);
sharp.cache(false);

export async function inkFromPng(bytes: Uint8Array): Promise<InkMap> {
  let data: Buffer;
  let info: { width: number; height: number; channels: number };
  try {
    const image = sharp(bytes, { limitInputPixels: MAX_IMAGE_SIDE * MAX_IMAGE_SIDE, failOn: "error" });
    const meta = await image.metadata();
    if (meta.format !== "png") throw badRequest(`body is not a PNG (sharp sees ${meta.format ?? "nothing it knows"})`);
    if ((meta.width ?? 0) > MAX_IMAGE_SIDE || (meta.height ?? 0) > MAX_IMAGE_SIDE) {
      throw badRequest(`image is ${meta.width}x${meta.height}, larger than ${MAX_IMAGE_SIDE}x${MAX_IMAGE_SIDE}`);
    }
    ({ data, info } = await image.ensureAlpha().raw().toBuffer({ resolveWithObject: true }));
  } catch (err) {
    if (err instanceof Error && err.name === "ApiError") throw err;
    throw badRequest(`cannot decode the PNG: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { width, height, channels } = info;
  const n = width * height;
  // Transparent background (median border alpha low): the ink is the alpha channel.
  const borderAlpha: number[] = [];
  for (let x = 0; x < width; x++) borderAlpha.push(data[x * channels + 3]!, data[((height - 1) * width + x) * channels + 3]!);
  for (let y = 0; y < height; y++) borderAlpha.push(data[y * width * channels + 3]!, data[(y * width + width - 1) * channels + 3]!);
  borderAlpha.sort((a, b) => a - b);
  if (borderAlpha[borderAlpha.length >> 1]! < 128) {
    const ink = new Float32Array(n);
    for (let i = 0; i < n; i++) ink[i] = data[i * channels + 3]! / 255;
    return { width, height, ink };
  }
  // Opaque: luminance, composited over white where partly transparent.
  const grey = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * channels;
    const a = data[o + 3]! / 255;
    const lum = 0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!;
    grey[i] = Math.round(lum * a + 255 * (1 - a));
  }
  return inkFromGrey(grey, width, height);
}

/** PNG bytes -> the 28x28 input the model sees. */
export async function preparePng(bytes: Uint8Array): Promise<Uint8Array> {
  return prepareInk(await inkFromPng(bytes));
}
