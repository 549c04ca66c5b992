// Strokes -> 28x28 MNIST-style image: the one preprocessing used by the runtime, training and the PNG path.
export const PREPROCESSING_ID = "mnist-com-v1";
