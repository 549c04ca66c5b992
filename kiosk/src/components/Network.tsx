// Classroom mode: what happens inside the network for the current drawing, in the spirit of CNN Explainer:
// the input, every layer's feature maps as a small grid, then the output.
import { useEffect, useRef } from "preact/hooks";
import { observeSize } from "../canvas/size.js";
import { GREY, HEAT, paintMaps, type MapStack } from "../canvas/maps.js";
import type { Messages } from "../messages.js";
import type { ExplainModel, LayerShape } from "../state/explain.js";
import { INPUT_SIDE } from "../state/protocol.js";

function LayerCanvas({ stack, lut, label }: { stack: MapStack; lut: Uint8Array; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const scratch = useRef<HTMLCanvasElement | null>(null);
  const current = useRef(stack);
  current.current = stack;

  useEffect(() => {
    const canvas = ref.current;
    if (canvas === null) return;
    scratch.current ??= document.createElement("canvas");
    return observeSize(canvas, (size) => {
      canvas.width = size.deviceWidth;
      canvas.height = size.deviceHeight;
      if (scratch.current !== null) paintMaps(canvas, current.current, lut, scratch.current);
    });
  }, [lut]);

  useEffect(() => {
    const canvas = ref.current;
    if (canvas !== null && scratch.current !== null && canvas.width > 1) paintMaps(canvas, stack, lut, scratch.current);
  }, [stack, lut]);

  return <canvas ref={ref} class="net-maps" data-testid="layer-maps" role="img" aria-label={label} />;
}

function layerTitle(t: Messages, shapes: readonly LayerShape[], index: number): string {
  const shape = shapes[index];
  if (shape === undefined) return "";
  const n = shapes.slice(0, index + 1).filter((s) => s.kind === shape.kind).length;
  return shape.kind === "conv" ? t.netConv(n) : t.netPool(n);
}

export function Network({ explain, t }: { explain: ExplainModel; t: Messages }) {
  const result = explain.result.value;
  const shapes = explain.shapes.value;
  const probabilities = result?.probabilities ?? null;
  let best = -1;
  if (probabilities !== null) for (let d = 0; d < 10; d++) if (best < 0 || (probabilities[d] ?? 0) > (probabilities[best] ?? 0)) best = d;

  return (
    <section class="net" aria-label={t.netLabel} data-testid="network" data-layers={result?.layers.length ?? 0} data-revision={result?.revision ?? -1}>
      <div class="net-layers">
        <figure class="net-layer net-input">
          <figcaption class="net-title">
            {t.netInput}
            <small>{`${INPUT_SIDE}×${INPUT_SIDE}`}</small>
          </figcaption>
          <LayerCanvas stack={{ channels: 1, height: INPUT_SIDE, width: INPUT_SIDE, maps: result?.input ?? null }} lut={GREY} label={t.netInput} />
        </figure>
        {shapes.map((shape, i) => {
          const title = layerTitle(t, shapes, i);
          return (
            <figure class={`net-layer net-${shape.kind}`} key={shape.name}>
              <figcaption class="net-title">
                {title}
                <small>{`${shape.height}×${shape.width}×${shape.channels}`}</small>
              </figcaption>
              <LayerCanvas stack={{ ...shape, maps: result?.layers[i]?.maps ?? null }} lut={HEAT} label={title} />
            </figure>
          );
        })}
        <figure class="net-layer net-output">
          <figcaption class="net-title">
            {t.netOutput}
            <small>10</small>
          </figcaption>
          <ol class="net-probs">
            {Array.from({ length: 10 }, (_, d) => {
              const p = probabilities?.[d] ?? 0;
              return (
                <li key={d} class={d === best ? "net-prob net-prob-top" : "net-prob"}>
                  <span class="net-prob-digit">{d}</span>
                  <span class="net-prob-track">
                    <span class="net-prob-fill" style={{ "--p": String(Math.min(1, Math.max(0, p))) }} />
                  </span>
                </li>
              );
            })}
          </ol>
        </figure>
      </div>
      <p class="net-caption">{shapes.length === 0 || result === null ? t.netEmpty : t.netCaption}</p>
    </section>
  );
}
