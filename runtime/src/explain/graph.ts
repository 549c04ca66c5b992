// Finds the layers worth showing in a TinyVGG-like ONNX graph (fp32 or int8 QDQ) and makes a copy of the
// model that also outputs them: each convolution (after its ReLU when it has one) and each max-pooling.
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
type NodeProto = onnxProto.onnx.INodeProto;

export interface LayerTap {
  /** the tensor to read */
  tensor: string;
  kind: "conv" | "pool";
  /** true when the tensor is after a ReLU (so never negative) */
  relu: boolean;
}

export interface TappedModel {
  /** the model with every tap added as a graph output */
  bytes: Uint8Array;
  taps: LayerTap[];
}

/** Ops that only change a tensor's encoding: QDQ models put Quantize/DequantizeLinear pairs between the real ops. */
const ENCODING_OPS = new Set(["QuantizeLinear", "DequantizeLinear", "Identity"]);

/** The layers of a graph, input side first (ONNX keeps nodes in topological order). */
export function findTaps(nodes: readonly NodeProto[]): LayerTap[] {
  const consumers = new Map<string, NodeProto[]>();
  for (const node of nodes) {
    for (const input of node.input ?? []) {
      const list = consumers.get(input) ?? [];
      list.push(node);
      consumers.set(input, list);
    }
  }
  /** The real ops that read a tensor, looking through encoding-only ops. */
  const readers = (tensor: string, depth = 0): NodeProto[] =>
    (consumers.get(tensor) ?? []).flatMap((n) =>
      ENCODING_OPS.has(n.opType ?? "") && depth < 8 ? readers(n.output?.[0] ?? "", depth + 1) : [n],
    );

  const taps: LayerTap[] = [];
  let lastRelu = false;
  for (const node of nodes) {
    const out = node.output?.[0];
    if (out === undefined || out === "") continue;
    if (node.opType === "Conv") {
      const relu = readers(out).find((n) => n.opType === "Relu");
      const reluOut = relu?.output?.[0];
      lastRelu = reluOut !== undefined && reluOut !== "";
      taps.push({ tensor: lastRelu ? (reluOut as string) : out, kind: "conv", relu: lastRelu });
    } else if (node.opType === "MaxPool") {
      taps.push({ tensor: out, kind: "pool", relu: lastRelu });
    }
  }
  return taps;
}

/** Decodes an ONNX model, adds its layers as graph outputs and encodes it again. */
export function tapModel(modelBytes: Uint8Array): TappedModel {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph;
  if (graph === null || graph === undefined) throw new Error("the ONNX model has no graph");
  const taps = findTaps(graph.node ?? []);
  const outputs = (graph.output ??= []);
  const present = new Set(outputs.map((o) => o.name));
  // A name is enough: onnxruntime infers the type and shape of an intermediate output.
  for (const tap of taps) if (!present.has(tap.tensor)) outputs.push({ name: tap.tensor });
  return { bytes: onnx.ModelProto.encode(model).finish(), taps };
}
