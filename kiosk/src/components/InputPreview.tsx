// The 28x28 image the model saw, enlarged with crisp pixels.
import { effect } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { INPUT_BYTES, INPUT_SIDE } from "../state/protocol.js";
import type { PredictionModel } from "../state/prediction.js";

function paint(canvas: HTMLCanvasElement, pixels: Uint8Array | null): void {
  const ctx = canvas.getContext("2d");
  if (ctx === null) return;
  const image = ctx.createImageData(INPUT_SIDE, INPUT_SIDE);
  for (let i = 0; i < INPUT_BYTES; i++) {
    const v = pixels?.[i] ?? 0;
    image.data[i * 4] = v;
    image.data[i * 4 + 1] = v;
    image.data[i * 4 + 2] = v;
    image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

export function InputPreview({ prediction, caption }: { prediction: PredictionModel; caption: string }) {
  const ref = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const canvas = ref.current;
    if (canvas === null) return;
    return effect(() => paint(canvas, prediction.result.value?.input ?? null));
  }, [prediction]);

  return (
    <figure class="preview">
      <canvas
        ref={ref}
        class="preview-canvas"
        width={INPUT_SIDE}
        height={INPUT_SIDE}
        data-testid="input-preview"
        aria-label={caption}
      />
      <figcaption class="preview-caption">{caption}</figcaption>
    </figure>
  );
}
