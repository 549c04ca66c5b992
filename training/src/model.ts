// TinyVGG for 28x28x1 digits, as in CNN Explainer: two (conv3x3-relu-conv3x3-relu-maxpool2) blocks, then a
// dense head of 11 units (ten digits and "not a digit") that servedLogits turns into the ten logits served.
import * as tf from "@tensorflow/tfjs";

export const IMAGE_SIZE = 28;
export const NUM_CLASSES = 10;
/** Units of the dense head: the ten digits, then one for "not a digit". */
export const HEAD_UNITS = NUM_CLASSES + 1;

export interface TinyVggOptions {
  /** filters per conv layer (CNN Explainer uses 10) */
  width: number;
  seed: number;
}

/** Layer names, in order; the ONNX exporter reads the weights by these names. */
export const CONV_LAYERS = ["conv1_1", "conv1_2", "conv2_1", "conv2_2"] as const;
export const DENSE_LAYER = "logits";

/**
 * NHWC input [batch,28,28,1] (already normalized) -> head [batch,11]. Padding is "valid":
 * 28 -> 26 -> 24 -> 12 -> 10 -> 8 -> 4, so the dense layer sees 4*4*width features.
 */
export function createTinyVgg(options: TinyVggOptions): tf.Sequential {
  const { width, seed } = options;
  if (!Number.isInteger(width) || width < 1) throw new Error(`width must be a positive integer, got ${width}`);
  let layerSeed = seed;
  const init = (): ReturnType<typeof tf.initializers.heNormal> => tf.initializers.heNormal({ seed: layerSeed++ });
  const conv = (name: string, inputShape?: [number, number, number]): tf.layers.Layer =>
    tf.layers.conv2d({
      name,
      filters: width,
      kernelSize: 3,
      strides: 1,
      padding: "valid",
      activation: "relu",
      kernelInitializer: init(),
      biasInitializer: "zeros",
      ...(inputShape ? { inputShape } : {}),
    });
  const model = tf.sequential({ name: "tinyvgg" });
  model.add(conv(CONV_LAYERS[0], [IMAGE_SIZE, IMAGE_SIZE, 1]));
  model.add(conv(CONV_LAYERS[1]));
  model.add(tf.layers.maxPooling2d({ name: "pool1", poolSize: 2, strides: 2 }));
  model.add(conv(CONV_LAYERS[2]));
  model.add(conv(CONV_LAYERS[3]));
  model.add(tf.layers.maxPooling2d({ name: "pool2", poolSize: 2, strides: 2 }));
  model.add(tf.layers.flatten({ name: "flatten" }));
  model.add(
    tf.layers.dense({
      name: DENSE_LAYER,
      units: HEAD_UNITS,
      kernelInitializer: tf.initializers.glorotUniform({ seed: layerSeed++ }),
      biasInitializer: "zeros",
    }),
  );
  return model;
}

/**
 * The ten logits a model package serves, from the head [n,11]: the digit logits times
 * p(digit) = sigmoid(logsumexp(digit logits) - not-a-digit logit). A drawing the head calls "not a digit"
 * gets logits near zero, a flat answer that the runtime's threshold reports as "not sure"; a positive
 * factor never changes which digit ranks first. The ONNX exporter builds the same computation.
 */
export function servedLogits(head: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    if (head.shape[1] !== HEAD_UNITS) throw new Error(`head has ${head.shape[1]} units, expected ${HEAD_UNITS}`);
    const digits = tf.slice(head, [0, 0], [-1, NUM_CLASSES]);
    const notADigit = tf.slice(head, [0, NUM_CLASSES], [-1, 1]);
    const pDigit = tf.sigmoid(tf.sub(tf.logSumExp(digits, 1, true), notADigit));
    return tf.mul(digits, pDigit) as tf.Tensor2D;
  });
}

/** Mean softmax cross-entropy of logits [n,k] against integer labels [n] (0..k-1). */
export function crossEntropyFromLogits(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(tf.cast(labels, "int32"), logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logProbs), 1))) as tf.Scalar;
  });
}

/** The named weights of a TinyVGG in TF.js layout: conv kernels [kh,kw,in,out], dense kernel [in,out]. */
export interface TinyVggWeights {
  width: number;
  convs: { name: string; kernel: tf.Tensor4D; bias: tf.Tensor1D }[];
  dense: { kernel: tf.Tensor2D; bias: tf.Tensor1D };
}

export function tinyVggWeights(model: tf.LayersModel): TinyVggWeights {
  const weightsOf = (name: string): tf.Tensor[] => {
    const w = model.getLayer(name).getWeights();
    if (w.length !== 2) throw new Error(`layer ${name} has ${w.length} weights, expected kernel and bias`);
    return w;
  };
  const convs = CONV_LAYERS.map((name) => {
    const [kernel, bias] = weightsOf(name) as [tf.Tensor4D, tf.Tensor1D];
    return { name, kernel, bias };
  });
  const [kernel, bias] = weightsOf(DENSE_LAYER) as [tf.Tensor2D, tf.Tensor1D];
  const width = convs[0]?.kernel.shape[3];
  if (width === undefined) throw new Error("model has no conv layers");
  return { width, convs, dense: { kernel, bias } };
}
