// Writes a trained TF.js TinyVGG as an fp32 ONNX model (opset 13, NCHW) straight from its weights.
import * as tf from "@tensorflow/tfjs";
import onnxProto from "onnx-proto";
import { HEAD_UNITS, IMAGE_SIZE, NUM_CLASSES, tinyVggWeights } from "../model.js";

const { onnx } = onnxProto;

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 8;
export const ONNX_INPUT_NAME = "input";
export const ONNX_OUTPUT_NAME = "logits";

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function floatTensor(name: string, dims: number[], values: Float32Array): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true)); // ONNX raw_data is little-endian
  return { name, dataType: FLOAT, dims, rawData: bytes };
}

function int64Tensor(name: string, values: number[]): onnxProto.onnx.ITensorProto {
  return { name, dataType: INT64, dims: [values.length], rawData: new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer) };
}

function ints(name: string, values: number[]): onnxProto.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: values };
}

function int(name: string, value: number): onnxProto.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

function valueInfo(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/**
 * TF flattens the last feature map [h][w][c] (NHWC); ONNX flattens it [c][h][w] (NCHW).
 * Returns the dense kernel [h*w*c, units] with its rows reordered into ONNX's order.
 */
export function permuteDenseRowsNhwcToNchw(kernel: Float32Array, h: number, w: number, c: number, units: number): Float32Array {
  if (kernel.length !== h * w * c * units) throw new Error(`dense kernel has ${kernel.length} values, expected ${h * w * c * units}`);
  const out = new Float32Array(kernel.length);
  for (let ci = 0; ci < c; ci++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const onnxRow = (ci * h + y) * w + x;
        const tfRow = (y * w + x) * c + ci;
        out.set(kernel.subarray(tfRow * units, (tfRow + 1) * units), onnxRow * units);
      }
    }
  }
  return out;
}

export interface OnnxExportOptions {
  /** stored as the graph name and in the model's doc string */
  name?: string;
  producerVersion?: string;
}

/**
 * Encodes a TinyVGG (see model.ts) as ONNX: input [batch,1,28,28] normalized floats -> logits [batch,10],
 * the served logits of model.ts servedLogits (the head's digit logits times p(digit)).
 */
export function tinyVggToOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): Uint8Array {
  const weights = tinyVggWeights(model);
  const initializer: onnxProto.onnx.ITensorProto[] = [];
  const node: onnxProto.onnx.INodeProto[] = [];
  let current = ONNX_INPUT_NAME;
  let size = IMAGE_SIZE;

  const conv = (index: number): void => {
    const layer = weights.convs[index];
    if (layer === undefined) throw new Error(`model has no conv layer ${index}`);
    const [kh, kw, cin, cout] = layer.kernel.shape;
    const kernel = tf.tidy(() => tf.transpose(layer.kernel, [3, 2, 0, 1]).dataSync() as Float32Array); // -> [out,in,kh,kw]
    initializer.push(floatTensor(`${layer.name}.weight`, [cout, cin, kh, kw], kernel));
    initializer.push(floatTensor(`${layer.name}.bias`, [cout], layer.bias.dataSync() as Float32Array));
    const out = `${layer.name}.out`;
    node.push({
      name: layer.name,
      opType: "Conv",
      input: [current, `${layer.name}.weight`, `${layer.name}.bias`],
      output: [out],
      attribute: [ints("kernel_shape", [kh, kw]), ints("pads", [0, 0, 0, 0]), ints("strides", [1, 1]), ints("dilations", [1, 1]), int("group", 1)],
    });
    node.push({ name: `${layer.name}.relu`, opType: "Relu", input: [out], output: [`${layer.name}.relu`] });
    current = `${layer.name}.relu`;
    size -= kh - 1;
  };
  const pool = (name: string): void => {
    node.push({
      name,
      opType: "MaxPool",
      input: [current],
      output: [name],
      attribute: [ints("kernel_shape", [2, 2]), ints("strides", [2, 2]), ints("pads", [0, 0, 0, 0])],
    });
    current = name;
    size = Math.floor(size / 2);
  };

  conv(0);
  conv(1);
  pool("pool1");
  conv(2);
  conv(3);
  pool("pool2");

  const { kernel, bias } = weights.dense;
  const [features, units] = kernel.shape;
  if (features !== size * size * weights.width || units !== HEAD_UNITS) {
    throw new Error(`dense kernel [${kernel.shape}] does not fit a ${size}x${size}x${weights.width} feature map and ${HEAD_UNITS} head units`);
  }
  const denseKernel = permuteDenseRowsNhwcToNchw(kernel.dataSync() as Float32Array, size, size, weights.width, units);
  initializer.push(floatTensor("logits.weight", [features, units], denseKernel));
  initializer.push(floatTensor("logits.bias", [units], bias.dataSync() as Float32Array));
  node.push({ name: "flatten", opType: "Flatten", input: [current], output: ["flatten"], attribute: [int("axis", 1)] });
  node.push({
    name: "logits",
    opType: "Gemm",
    input: ["flatten", "logits.weight", "logits.bias"],
    output: ["head"],
    attribute: [int("transA", 0), int("transB", 0)],
  });
  // served logits = digits * sigmoid(logsumexp(digits) - notADigit), in fp32 after the (quantizable) Gemm
  initializer.push(int64Tensor("head.axis", [1]), int64Tensor("head.d0", [0]), int64Tensor("head.d1", [NUM_CLASSES]), int64Tensor("head.n1", [HEAD_UNITS]));
  node.push(
    { name: "head.digits", opType: "Slice", input: ["head", "head.d0", "head.d1", "head.axis"], output: ["head.digits"] },
    { name: "head.not_a_digit", opType: "Slice", input: ["head", "head.d1", "head.n1", "head.axis"], output: ["head.not_a_digit"] },
    { name: "head.lse", opType: "ReduceLogSumExp", input: ["head.digits"], output: ["head.lse"], attribute: [ints("axes", [1]), int("keepdims", 1)] },
    { name: "head.margin", opType: "Sub", input: ["head.lse", "head.not_a_digit"], output: ["head.margin"] },
    { name: "head.p_digit", opType: "Sigmoid", input: ["head.margin"], output: ["head.p_digit"] },
    { name: "head.served", opType: "Mul", input: ["head.digits", "head.p_digit"], output: [ONNX_OUTPUT_NAME] },
  );

  const name = options.name ?? "tinyvgg";
  const modelProto = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "digit-kiosk-training",
    producerVersion: options.producerVersion ?? "0.1.0",
    docString: `${name}: TinyVGG width ${weights.width}. Input: 28x28 grey digits, NCHW, normalized as its manifest.json says. Output: logits of the ten digits, scaled by the model's p(digit).`,
    graph: {
      name,
      node,
      initializer,
      input: [valueInfo(ONNX_INPUT_NAME, ["batch", 1, IMAGE_SIZE, IMAGE_SIZE])],
      output: [valueInfo(ONNX_OUTPUT_NAME, ["batch", NUM_CLASSES])],
    },
  });
  return onnx.ModelProto.encode(modelProto).finish();
}
