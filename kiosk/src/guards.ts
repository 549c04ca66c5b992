// Kiosk hygiene the CSS cannot do alone: no context menu, no selection, no pinch or ctrl+wheel zoom.

export function installKioskGuards(target: Window = window): () => void {
  const listening = new AbortController();
  const options = { signal: listening.signal, passive: false };
  const prevent = (e: Event): void => e.preventDefault();
  target.addEventListener("contextmenu", prevent, options);
  target.addEventListener("selectstart", prevent, options);
  target.addEventListener("dragstart", prevent, options);
  target.addEventListener("gesturestart", prevent, options);
  target.addEventListener(
    "wheel",
    (e: WheelEvent) => {
      if (e.ctrlKey) e.preventDefault();
    },
    options,
  );
  target.addEventListener(
    "touchmove",
    (e: TouchEvent) => {
      if (e.touches.length > 1) e.preventDefault();
    },
    options,
  );
  return () => listening.abort();
}
