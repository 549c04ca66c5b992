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

/** A tap as a finger makes it: down, a short moment, up. */
export async function tap(cdp: CDPSession, at: PagePoint, holdMs = 60): Promise<void> {
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [touchPoint(at)] });
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
}

export interface Contact {
  /** half the contact's width and height, CSS px: about 6 for a fingertip, 60+ for a palm */
  radius?: number;
}

/** A finger (or palm) lands; no lift. */
export async function touchDown(cdp: CDPSession, at: PagePoint, contact: Contact = {}): Promise<void> {
  const r = contact.radius ?? 6;
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ ...touchPoint(at), radiusX: r, radiusY: r }] });
}

/** The landed finger moves along points. */
export async function touchMoves(cdp: CDPSession, points: PagePoint[], contact: Contact = {}): Promise<void> {
  const r = contact.radius ?? 6;
  for (const p of points) await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ ...touchPoint(p), radiusX: r, radiusY: r }] });
}

export async function touchUp(cdp: CDPSession): Promise<void> {
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
}

/** A finger held still for holdMs, then lifted (a long press). */
export async function longPress(cdp: CDPSession, at: PagePoint, holdMs: number): Promise<void> {
  await touchDown(cdp, at);
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  await touchUp(cdp);
}

/** A palm rests on the screen at `palm` (a large contact) before the finger lands and draws `points`; both lift at the end. */
export async function drawWithPalmResting(cdp: CDPSession, points: PagePoint[], palm: PagePoint, palmRadius = 80): Promise<void> {
  const [first, ...rest] = points;
  if (first === undefined) return;
  const hand = { ...touchPoint(palm, 1), radiusX: palmRadius, radiusY: palmRadius };
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [hand] });
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [hand, touchPoint(first, 0)] });
  for (const p of rest) await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [hand, touchPoint(p, 0)] });
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
}

/** Draws the strokes with a mouse or a pen (CDP mouse events with that pointer type). */
export async function drawWithPointer(cdp: CDPSession, strokes: PagePoint[][], pointerType: "mouse" | "pen"): Promise<void> {
  for (const stroke of strokes) {
    const [first, ...rest] = stroke;
    if (first === undefined) continue;
    const at = ([x, y]: PagePoint) => ({ x, y, pointerType });
    await cdp.send("Input.dispatchMouseEvent", { type: "mouseMoved", ...at(first) });
    await cdp.send("Input.dispatchMouseEvent", { type: "mousePressed", ...at(first), button: "left", buttons: 1, clickCount: 1, force: 0.5 });
    for (const p of rest) await cdp.send("Input.dispatchMouseEvent", { type: "mouseMoved", ...at(p), button: "left", buttons: 1, force: 0.5 });
    const last = stroke[stroke.length - 1] ?? first;
    await cdp.send("Input.dispatchMouseEvent", { type: "mouseReleased", ...at(last), button: "left", buttons: 0, clickCount: 1 });
  }
}
