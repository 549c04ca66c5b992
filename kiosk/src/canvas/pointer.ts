// Turns pointer events (finger, pen, mouse) on the canvas into strokes: the first finger draws; a second
// finger, and any contact as large as a palm, are ignored.
import type { DrawingModel, Sample } from "../state/drawing.js";

/** A touch contact wider or taller than this (CSS px) is a palm or a wrist, not a fingertip. */
export const PALM_PX = 120;

const isPalm = (e: PointerEvent): boolean => e.pointerType === "touch" && (e.width > PALM_PX || e.height > PALM_PX);

export function attachPointerInput(canvas: HTMLCanvasElement, drawing: DrawingModel): () => void {
  let active: number | null = null;
  let origin = { left: 0, top: 0 };

  const sample = (e: PointerEvent): Sample => ({
    x: e.clientX - origin.left,
    y: e.clientY - origin.top,
    timeStamp: e.timeStamp,
  });

  const finish = (): void => {
    if (active === null) return;
    const id = active;
    active = null;
    drawing.endStroke();
    if (canvas.hasPointerCapture(id)) canvas.releasePointerCapture(id);
  };

  const onDown = (e: PointerEvent): void => {
    e.preventDefault();
    // Not isPrimary: when a palm lands first, the finger after it is not primary but must draw.
    if (active !== null || isPalm(e) || (e.pointerType === "mouse" && e.button !== 0)) return;
    active = e.pointerId;
    const rect = canvas.getBoundingClientRect();
    origin = { left: rect.left + canvas.clientLeft, top: rect.top + canvas.clientTop };
    try {
      canvas.setPointerCapture(e.pointerId);
    } catch {
      // The pointer is already gone; pointerup or pointercancel still arrives.
    }
    drawing.beginStroke(sample(e));
  };

  const onMove = (e: PointerEvent): void => {
    if (e.pointerId !== active) return;
    e.preventDefault();
    if (isPalm(e)) {
      // The contact grew into a palm (a hand coming to rest): stop the stroke here.
      finish();
      return;
    }
    const coalesced = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
    drawing.extendStroke((coalesced.length > 0 ? coalesced : [e]).map(sample));
  };

  const onUp = (e: PointerEvent): void => {
    if (e.pointerId !== active) return;
    drawing.extendStroke([sample(e)]);
    finish();
  };

  const onCancel = (e: PointerEvent): void => {
    if (e.pointerId === active) finish();
  };

  const listening = new AbortController();
  const options = { signal: listening.signal };
  canvas.addEventListener("pointerdown", onDown, options);
  canvas.addEventListener("pointermove", onMove, options);
  canvas.addEventListener("pointerup", onUp, options);
  canvas.addEventListener("pointercancel", onCancel, options);
  canvas.addEventListener("lostpointercapture", onCancel, options);
  return () => {
    listening.abort();
    finish();
  };
}
