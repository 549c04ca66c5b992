// Small typed helpers over onnx-proto: decode/encode a model, read float initializers, make int tensors and attributes.
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

export const DataType = onnx.TensorProto.DataType;

export function decodeModel(bytes: Uint8Array): ModelProto {
  const model = onnx.ModelProto.decode(bytes);
  if (model.graph === null || model.graph === undefined) throw new Error("ONNX model has no graph");
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** The graph of a decoded model, with its lists present. */
export function graphOf(model: ModelProto): onnxProto.onnx.IGraphProto & {
  node: NodeProto[];
  initializer: TensorProto[];
  input: onnxProto.onnx.IValueInfoProto[];
  output: onnxProto.onnx.IValueInfoProto[];
} {
  const g = model.graph;
  if (g === null || g === undefined) throw new Error("ONNX model has no graph");
  g.node ??= [];
  g.initializer ??= [];
  g.input ??= [];
  g.output ??= [];
  return g as ReturnType<typeof graphOf>;
}

export const dimsOf = (t: TensorProto): number[] => (t.dims ?? []).map((d) => (typeof d === "number" ? d : d.toNumber()));

/** The values of a FLOAT tensor (raw_data little-endian or float_data). */
export function floatValues(t: TensorProto): Float32Array {
  if (t.dataType !== DataType.FLOAT) throw new Error(`tensor ${t.name} is not float32 (data type ${t.dataType})`);
  const count = dimsOf(t).reduce((a, b) => a * b, 1);
  if (t.rawData !== null && t.rawData !== undefined && t.rawData.length > 0) {
    if (t.rawData.length !== count * 4) throw new Error(`tensor ${t.name}: ${t.rawData.length} bytes for ${count} floats`);
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    return Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
  }
  const data = t.floatData ?? [];
  if (data.length !== count) throw new Error(`tensor ${t.name}: ${data.length} floats for dims [${dimsOf(t)}]`);
  return Float32Array.from(data);
}

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): TensorProto {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return { name, dataType: DataType.FLOAT, dims, rawData: bytes };
}

export function int8Tensor(name: string, dims: number[], values: Int8Array): TensorProto {
  return { name, dataType: DataType.INT8, dims, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice() };
}

export function int32Tensor(name: string, dims: number[], values: Int32Array): TensorProto {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setInt32(i * 4, v, true));
  return { name, dataType: DataType.INT32, dims, rawData: bytes };
}

export function intAttribute(name: string, value: number): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

/** The integer value of a node's INT attribute, or fallback when it is absent. */
export function intAttributeOf(node: NodeProto, name: string, fallback: number): number {
  const attr = (node.attribute ?? []).find((a) => a.name === name);
  if (attr === undefined || attr.i === null || attr.i === undefined) return fallback;
  return typeof attr.i === "number" ? attr.i : attr.i.toNumber();
}

/** A FLOAT graph output of unknown shape (used to read intermediate tensors while calibrating). */
export function floatOutput(name: string): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: DataType.FLOAT } } };
}

/** Counts of op types, e.g. {Conv: 4, Relu: 4}. */
export function opCounts(model: ModelProto): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of graphOf(model).node) {
    const op = n.domain !== null && n.domain !== undefined && n.domain !== "" ? `${n.domain}.${n.opType ?? "?"}` : (n.opType ?? "?");
    counts[op] = (counts[op] ?? 0) + 1;
  }
  return counts;
}
