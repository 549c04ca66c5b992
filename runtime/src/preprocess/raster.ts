// Small pure raster helpers for the preprocessing: anti-aliased capsules, centre of mass, box downsampling.

/** A float coverage buffer (0..1), row-major. */
export interface Raster {
  width: number;
  height: number;
  data: Float32Array;
}

export function createRaster(width: number, height: number): Raster {
  return { width, height, data: new Float32Array(width * height) };
}

/**
 * Paints a segment with round caps (a capsule) of radius r, anti-aliased over one pixel, into the
 * raster by taking the maximum coverage per pixel (overlapping strokes do not get darker).
 * Pixel (i, j) has its centre at (i + 0.5, j + 0.5).
 */
export function paintCapsule(raster: Raster, x0: number, y0: number, x1: number, y1: number, r: number): void {
  const { width, height, data } = raster;
  const reach = r + 0.5;
  const reach2 = reach * reach;
  const inner = Math.max(0, r - 0.5);
  const inner2 = inner * inner;
  const minX = Math.max(0, Math.floor(Math.min(x0, x1) - reach));
  const maxX = Math.min(width - 1, Math.ceil(Math.max(x0, x1) + reach));
  const minY = Math.max(0, Math.floor(Math.min(y0, y1) - reach));
  const maxY = Math.min(height - 1, Math.ceil(Math.max(y0, y1) + reach));
  if (minX > maxX || minY > maxY) return;
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  for (let j = minY; j <= maxY; j++) {
    const py = j + 0.5;
    for (let i = minX; i <= maxX; i++) {
      const px = i + 0.5;
      let t = len2 > 0 ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = px - (x0 + t * dx);
      const ey = py - (y0 + t * dy);
      const d2 = ex * ex + ey * ey;
      if (d2 >= reach2) continue;
      const v = d2 <= inner2 ? 1 : reach - Math.sqrt(d2);
      const k = j * width + i;
      if (v > data[k]!) data[k] = v;
    }
  }
}

/** Centre of mass of the raster in pixel coordinates (pixel centres at +0.5), or null when empty. */
export function centreOfMass(data: ArrayLike<number>, width: number, height: number): { x: number; y: number } | null {
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const v = data[j * width + i]!;
      if (v === 0) continue;
      sum += v;
      sx += v * (i + 0.5);
      sy += v * (j + 0.5);
    }
  }
  return sum > 0 ? { x: sx / sum, y: sy / sum } : null;
}

/**
 * Averages factor x factor blocks of `src`, starting at fine pixel (offX, offY), into an
 * outW x outH byte image (0..255). Fine pixels outside `src` count as empty.
 */
export function downsampleToBytes(src: Raster, factor: number, offX: number, offY: number, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH);
  const norm = 255 / (factor * factor);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      let acc = 0;
      for (let fy = 0; fy < factor; fy++) {
        const y = offY + oy * factor + fy;
        if (y < 0 || y >= src.height) continue;
        const row = y * src.width;
        for (let fx = 0; fx < factor; fx++) {
          const x = offX + ox * factor + fx;
          if (x < 0 || x >= src.width) continue;
          acc += src.data[row + x]!;
        }
      }
      out[oy * outW + ox] = Math.round(acc * norm);
    }
  }
  return out;
}
