// Follows an element's size in CSS and device pixels, including devicePixelRatio changes.

export interface ElementSize {
  cssWidth: number;
  cssHeight: number;
  deviceWidth: number;
  deviceHeight: number;
}

export function observeSize(element: Element, onSize: (size: ElementSize) => void): () => void {
  const observer = new ResizeObserver((entries) => {
    const entry = entries[entries.length - 1];
    if (entry === undefined) return;
    const css = entry.contentBoxSize[0];
    const device = entry.devicePixelContentBoxSize?.[0];
    const cssWidth = css?.inlineSize ?? entry.contentRect.width;
    const cssHeight = css?.blockSize ?? entry.contentRect.height;
    if (cssWidth <= 0 || cssHeight <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    onSize({
      cssWidth,
      cssHeight,
      deviceWidth: device?.inlineSize ?? Math.round(cssWidth * dpr),
      deviceHeight: device?.blockSize ?? Math.round(cssHeight * dpr),
    });
  });
  try {
    observer.observe(element, { box: "device-pixel-content-box" });
  } catch {
    observer.observe(element);
  }
  return () => observer.disconnect();
}
