// Digit pictures for the report: 28x28 images (white ink on black) as PNG data URIs, singly or as a grid, via sharp.
import sharp from "sharp";

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** PNG bytes of a grey image, scaled up by an integer factor with nearest-neighbour so pixels stay sharp. */
export async function greyPng(pixels: Uint8Array, width: number, height: number, scale = 1): Promise<Buffer> {
  let image = sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels: 1 } });
  if (scale > 1) image = image.resize(width * scale, height * scale, { kernel: "nearest" });
  return image.png({ compressionLevel: 9 }).toBuffer();
}

export const dataUri = (png: Buffer): string => `data:image/png;base64,${png.toString("base64")}`;

/** One digit (784 bytes at image index `index` of `images`), scaled. */
export async function digitPng(images: Uint8Array, index: number, scale = 3): Promise<Buffer> {
  return greyPng(images.subarray(index * PIXELS, (index + 1) * PIXELS), SIDE, SIDE, scale);
}

/**
 * count digits laid out `columns` wide with a grey gap between them, as one PNG.
 * images holds count * 784 bytes.
 */
export async function digitGridPng(images: Uint8Array, count: number, columns: number, scale = 2, gap = 2): Promise<Buffer> {
  if (images.length < count * PIXELS) throw new Error(`digit grid: ${images.length} bytes for ${count} images`);
  const rows = Math.max(1, Math.ceil(count / columns));
  const width = columns * SIDE + (columns + 1) * gap;
  const height = rows * SIDE + (rows + 1) * gap;
  const canvas = new Uint8Array(width * height).fill(96);
  for (let i = 0; i < count; i++) {
    const ox = gap + (i % columns) * (SIDE + gap);
    const oy = gap + Math.floor(i / columns) * (SIDE + gap);
    for (let y = 0; y < SIDE; y++) canvas.set(images.subarray(i * PIXELS + y * SIDE, i * PIXELS + (y + 1) * SIDE), (oy + y) * width + ox);
  }
  return greyPng(canvas, width, height, scale);
}
