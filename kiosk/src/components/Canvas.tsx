// The drawing surface: wires pointer input, size tracking and ink painting to the drawing model.
import { useEffect, useRef } from "preact/hooks";
import { attachPointerInput } from "../canvas/pointer.js";
import { InkRenderer } from "../canvas/renderer.js";
import { observeSize } from "../canvas/size.js";
import type { DrawingModel } from "../state/drawing.js";

export function Canvas({ drawing }: { drawing: DrawingModel }) {
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
      <canvas ref={ref} class="pad-canvas" data-testid="canvas" aria-label="Drawing area: draw one digit with your finger" />
      {drawing.isEmpty.value && (
        <p class="pad-hint" aria-hidden="true">
          Draw a digit here
        </p>
      )}
    </div>
  );
}
