// Draws on the page with real touch events (CDP Input.dispatchTouchEvent), as a finger would.
import type { CDPSession } from "playwright-core";
import type { UnitStroke } from "./digits.js";

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type PagePoint = [number, number];

const touchPoint = ([x, y]: PagePoint, id = 0) => ({ x, y, id, radiusX: 6, radiusY: 6, force: 1 });

/** Maps unit-box strokes into a square `fraction` of the box's shorter side, centred. */
export function placeStrokes(strokes: UnitStroke[], box: Box, fraction = 0.6): PagePoint[][] {
  const side = Math.min(box.width, box.height) * fraction;
  const left = box.x + (box.width - side) / 2;
  const top = box.y + (box.height - side) / 2;
  return strokes.map((s) => s.map(([u, v]): PagePoint => [left + u * side, top + v * side]));
}

/** One finger down, along the path, up; one touchMove per point. */
export async function drawStroke(cdp: CDPSession, points: PagePoint[]): Promise<void> {
  const [first, ...rest] = points;
  if (first === undefined) return;
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [touchPoint(first)] });
  for (const p of rest) await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [touchPoint(p)] });
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
}

export async function drawStrokes(cdp: CDPSession, strokes: PagePoint[][]): Promise<void> {
  for (const s of strokes) await drawStroke(cdp, s);
}

/**
 * Draws `points` with finger 0 while finger 1 lands at `other` a third of the way in, wanders,
 * and lifts at two thirds: the first finger's stroke must carry on unbroken. CDP takes the list of
 * active touches and dispatches one event per change, so a finger missing from the list is lifted.
 */
export async function drawWithSecondFinger(cdp: CDPSession, points: PagePoint[], other: PagePoint): Promise<void> {
  const landAt = Math.floor(points.length / 3);
  const liftAt = Math.floor((points.length * 2) / 3);
  const [first] = points;
  if (first === undefined) return;
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [touchPoint(first, 0)] });
  for (let i = 1; i < points.length; i++) {
    const p = points[i] as PagePoint;
    const wander: PagePoint = [other[0] + (i - landAt) * 0.5, other[1] - (i - landAt) * 0.3];
    if (i === landAt) {
      await cdp.send("Input.dispatchTouchEvent", {
        type: "touchStart",
        touchPoints: [touchPoint(p, 0), touchPoint(other, 1)],
      });
    } else if (i > landAt && i < liftAt) {
      await cdp.send("Input.dispatchTouchEvent", {
        type: "touchMove",
        touchPoints: [touchPoint(p, 0), touchPoint(wander, 1)],
      });
    } else {
      // Active points only: leaving finger 1 out at liftAt lifts it.
      await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [touchPoint(p, 0)] });
    }
  }
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
}

export async function tap(cdp: CDPSession, at: PagePoint): Promise<void> {
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [touchPoint(at)] });
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
}
