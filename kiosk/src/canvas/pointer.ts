// Turns pointer events (finger, pen, mouse) on the canvas into strokes: the first pointer draws, others are ignored.
import type { DrawingModel, Sample } from "../state/drawing.js";

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
    if (active !== null || !e.isPrimary || (e.pointerType === "mouse" && e.button !== 0)) return;
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
