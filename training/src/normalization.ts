// The input normalization shared by training and the manifest: x = (pixel * pixelScale - mean) / std.

export interface Normalization {
  pixelScale: number;
  mean: number;
  std: number;
}

/** MNIST's own training-set mean and standard deviation of pixel/255. */
export const MNIST_NORMALIZATION: Normalization = { pixelScale: 1 / 255, mean: 0.1307, std: 0.3081 };

/** Writes normalized floats for count images of 784 bytes starting at image `from` into out (NHWC == NCHW for one channel). */
export function normalizeInto(
  out: Float32Array,
  images: Uint8Array,
  from: number,
  count: number,
  norm: Normalization = MNIST_NORMALIZATION,
): void {
  const scale = norm.pixelScale / norm.std;
  const shift = norm.mean / norm.std;
  const start = from * 784;
  const n = count * 784;
  if (out.length < n) throw new Error(`normalizeInto: output holds ${out.length} values, need ${n}`);
  for (let i = 0; i < n; i++) out[i] = images[start + i]! * scale - shift;
}
