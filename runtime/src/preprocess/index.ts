// Strokes -> 28x28 MNIST-style image: the one preprocessing used by the runtime, training and the PNG path.
export { PREPROCESSING_ID, IMAGE_SIZE, renderStrokes, strokeBounds, type RenderOptions, type StrokeBounds } from "./strokes.js";
export { centreOfMass } from "./raster.js";
