// The drawing surface: wires pointer input, size tracking and ink painting to the drawing model.
import { useEffect, useRef } from "preact/hooks";
import { attachPointerInput } from "../canvas/pointer.js";
import { InkRenderer } from "../canvas/renderer.js";
import { observeSize } from "../canvas/size.js";
import type { Messages } from "../messages.js";
import type { DrawingModel } from "../state/drawing.js";

/** Marks the moment the pad can first take ink (read by the kiosk bench). */
const READY_MARK = "kiosk-canvas-ready";

export function Canvas({ drawing, t }: { drawing: DrawingModel; t: Messages }) {
  const ref = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const canvas = ref.current;
    if (canvas === null) return;
    const renderer = new InkRenderer(canvas);
    const paint = (): void => renderer.update(drawing.strokes, drawing.generation.peek());
    const stopSize = observeSize(canvas, (size) => {
      drawing.setSurface(size.cssWidth, size.cssHeight);
      renderer.resize(size.cssWidth, size.cssHeight, size.deviceWidth, size.deviceHeight);
      paint();
      if (performance.getEntriesByName(READY_MARK).length === 0) performance.mark(READY_MARK);
    });
    // Every change, clears included, bumps the revision.
    const stopPaint = drawing.revision.subscribe(paint);
    const stopInput = attachPointerInput(canvas, drawing);
    return () => {
      stopInput();
      stopPaint();
      stopSize();
    };
  }, [drawing]);

  return (
    <div class="pad">
      <canvas ref={ref} class="pad-canvas" data-testid="canvas" aria-label={t.canvasLabel} />
      {drawing.isEmpty.value && (
        <p class="pad-hint" aria-hidden="true">
          {t.padHint}
        </p>
      )}
    </div>
  );
}
