// Random small affine distortions of 28x28 digits (rotation, scale, shear, shift) with bilinear sampling.
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

/**
 * Writes one distorted copy of src (784 bytes) into out (784 floats, same 0..255 scale).
 * Each output pixel samples the source at the inverse-mapped position; outside is background (0).
 */
export function affineInto(out: Float32Array, outOffset: number, src: Uint8Array, srcOffset: number, range: AffineRange, random: Random): void {
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
  for (let y = 0; y < SIZE; y++) {
    const py = y - CENTER - dy;
    for (let x = 0; x < SIZE; x++) {
      const px = x - CENTER - dx;
      const sx = i00 * px + i01 * py + CENTER;
      const sy = i10 * px + i11 * py + CENTER;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      let value = 0;
      if (x0 >= -1 && y0 >= -1 && x0 < SIZE && y0 < SIZE) {
        const fx = sx - x0;
        const fy = sy - y0;
        const row0 = srcOffset + y0 * SIZE;
        const row1 = row0 + SIZE;
        const inX0 = x0 >= 0;
        const inX1 = x0 + 1 < SIZE;
        const inY0 = y0 >= 0;
        const inY1 = y0 + 1 < SIZE;
        const a = inY0 && inX0 ? src[row0 + x0]! : 0;
        const b = inY0 && inX1 ? src[row0 + x0 + 1]! : 0;
        const c = inY1 && inX0 ? src[row1 + x0]! : 0;
        const d = inY1 && inX1 ? src[row1 + x0 + 1]! : 0;
        value = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
      }
      out[outOffset + y * SIZE + x] = value;
    }
  }
}
