// Random distortions of 28x28 digits with bilinear sampling: small affine maps (rotation, scale, shear,
// shift) and elastic distortion (a smoothed random displacement field, after Simard et al. 2003).
import type { Random } from "./util/random.js";

export interface AffineRange {
  /** max rotation, degrees */
  rotateDeg: number;
  /** max relative scale change (0.1 = 0.9..1.1) */
  scale: number;
  /** max shear, radians-ish (x += shear * y) */
  shear: number;
  /** max shift, pixels */
  shiftPx: number;
}

/** Mild enough that every digit stays readable (a 6 never becomes a 9). */
export const DEFAULT_AFFINE: AffineRange = { rotateDeg: 10, scale: 0.1, shear: 0.15, shiftPx: 2 };

const SIZE = 28;
const CENTER = (SIZE - 1) / 2;

/** The 28x28 image at offset sampled at (sx, sy) with bilinear interpolation; outside is background (0). */
function bilinear(src: ArrayLike<number>, offset: number, sx: number, sy: number): number {
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  if (x0 < -1 || y0 < -1 || x0 >= SIZE || y0 >= SIZE) return 0;
  const fx = sx - x0;
  const fy = sy - y0;
  const row0 = offset + y0 * SIZE;
  const row1 = row0 + SIZE;
  const inX0 = x0 >= 0;
  const inX1 = x0 + 1 < SIZE;
  const inY0 = y0 >= 0;
  const inY1 = y0 + 1 < SIZE;
  const a = inY0 && inX0 ? src[row0 + x0]! : 0;
  const b = inY0 && inX1 ? src[row0 + x0 + 1]! : 0;
  const c = inY1 && inX0 ? src[row1 + x0]! : 0;
  const d = inY1 && inX1 ? src[row1 + x0 + 1]! : 0;
  return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
}

/**
 * Writes one distorted copy of src (784 bytes) into out (784 floats, same 0..255 scale): a random
 * affine map and, when `elastic` is given, an elastic distortion too. Each output pixel samples the
 * source at the inverse-mapped position; outside is background (0).
 */
export function affineInto(
  out: Float32Array,
  outOffset: number,
  src: Uint8Array,
  srcOffset: number,
  range: AffineRange,
  random: Random,
  elastic: ElasticRange | null = null,
): void {
  const u = (): number => 2 * random.next() - 1;
  const angle = (u() * range.rotateDeg * Math.PI) / 180;
  const scale = 1 + u() * range.scale;
  const shear = u() * range.shear;
  const dx = u() * range.shiftPx;
  const dy = u() * range.shiftPx;
  // forward map: p' = R * S * Sh * (p - c) + c + d; sample with its inverse
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  // M = R * scale * [[1, shear], [0, 1]]
  const m00 = scale * cos;
  const m01 = scale * (cos * shear - sin);
  const m10 = scale * sin;
  const m11 = scale * (sin * shear + cos);
  const det = m00 * m11 - m01 * m10;
  const i00 = m11 / det;
  const i01 = -m01 / det;
  const i10 = -m10 / det;
  const i11 = m00 / det;
  // with elastic distortion, each output pixel first moves by the smooth field, then maps back:
  // one bilinear sampling of the source for both, so the ink stays as sharp as one resampling leaves it
  const fieldX = elastic === null ? null : smoothField(random, elastic);
  const fieldY = elastic === null ? null : smoothField(random, elastic);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const px = x - CENTER - dx + (fieldX === null ? 0 : fieldX[y * SIZE + x]!);
      const py = y - CENTER - dy + (fieldY === null ? 0 : fieldY[y * SIZE + x]!);
      const sx = i00 * px + i01 * py + CENTER;
      const sy = i10 * px + i11 * py + CENTER;
      out[outOffset + y * SIZE + x] = bilinear(src, srcOffset, sx, sy);
    }
  }
}

export interface ElasticRange {
  /** displacement scale, pixels per unit of the smoothed field */
  alpha: number;
  /** smoothing of the random field (Gaussian sigma, pixels): larger is smoother */
  sigma: number;
}

/** Simard et al.'s setting for MNIST: displacements of about 1.4 px (standard deviation), smooth over ~4 px. */
export const DEFAULT_ELASTIC: ElasticRange = { alpha: 34, sigma: 4 };

const kernels = new Map<number, Float32Array>();

function gaussianKernel(sigma: number): Float32Array {
  let k = kernels.get(sigma);
  if (k !== undefined) return k;
  const radius = Math.ceil(3 * sigma);
  k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  kernels.set(sigma, k);
  return k;
}

/** A 28x28 field of uniform(-1, 1) noise, Gaussian-smoothed (separable, zero outside), times alpha. */
function smoothField(random: Random, range: ElasticRange): Float32Array {
  const k = gaussianKernel(range.sigma);
  const radius = (k.length - 1) / 2;
  const noise = new Float32Array(SIZE * SIZE);
  for (let i = 0; i < noise.length; i++) noise[i] = 2 * random.next() - 1;
  const rows = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      let acc = 0;
      for (let j = Math.max(0, x - radius); j <= Math.min(SIZE - 1, x + radius); j++) acc += noise[y * SIZE + j]! * k[j - x + radius]!;
      rows[y * SIZE + x] = acc;
    }
  }
  const field = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      let acc = 0;
      for (let j = Math.max(0, y - radius); j <= Math.min(SIZE - 1, y + radius); j++) acc += rows[j * SIZE + x]! * k[j - y + radius]!;
      field[y * SIZE + x] = acc * range.alpha;
    }
  }
  return field;
}
