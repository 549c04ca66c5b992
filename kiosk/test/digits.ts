// Hand-made finger paths for the e2e test: each digit as strokes in a unit box (x right, y down), drawn the way people do.

export type UnitPoint = [number, number];
export type UnitStroke = UnitPoint[];

/** Points every `step` (unit box) along a polyline, corners kept. */
function polyline(corners: UnitPoint[], step = 0.015): UnitStroke {
  const out: UnitStroke = [];
  for (let i = 0; i + 1 < corners.length; i++) {
    const [ax, ay] = corners[i] as UnitPoint;
    const [bx, by] = corners[i + 1] as UnitPoint;
    const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / step));
    for (let k = i === 0 ? 0 : 1; k <= n; k++) out.push([ax + ((bx - ax) * k) / n, ay + ((by - ay) * k) / n]);
  }
  return out;
}

/** An oval started at the top and drawn anticlockwise, closing with a little overlap, slightly slanted. */
function oval(): UnitStroke {
  const out: UnitStroke = [];
  const n = 90;
  for (let i = 0; i <= n; i++) {
    const a = -Math.PI / 2 - (i / n) * 2.08 * Math.PI;
    const y = 0.5 + 0.45 * Math.sin(a);
    out.push([0.5 + 0.3 * Math.cos(a) + (0.5 - y) * 0.08, y]);
  }
  return out;
}

export const DIGIT_PATHS: Record<"0" | "1" | "4" | "7", UnitStroke[]> = {
  // an oval
  "0": [oval()],
  // a short flag, then down, leaning a little
  "1": [polyline([[0.44, 0.16], [0.56, 0.04], [0.5, 0.96]])],
  // the open 4: down-left and across, then the long upright
  "4": [
    polyline([[0.3, 0.04], [0.2, 0.6], [0.82, 0.6]]),
    polyline([[0.64, 0.06], [0.62, 0.98]]),
  ],
  // the top bar, then the diagonal, in one stroke
  "7": [polyline([[0.18, 0.1], [0.82, 0.1], [0.42, 0.96]])],
};
