// Rewrites an fp32 ONNX graph into QDQ form: QuantizeLinear/DequantizeLinear pairs on the activations that
// feed Conv, Gemm and the pass-through ops, int8 per-channel weights and int32 biases behind DequantizeLinear.
import {
  decodeModel,
  dimsOf,
  encodeModel,
  floatTensor,
  floatValues,
  graphOf,
  int32Tensor,
  int8Tensor,
  intAttribute,
  intAttributeOf,
  type NodeProto,
  type TensorProto,
} from "./graph.js";
import { quantizeBias, quantizePerChannel, type ActivationParams } from "./weights.js";

/** Ops whose data input is quantized. */
const CONSUMERS = new Set(["Conv", "Gemm", "MaxPool", "Flatten", "Reshape"]);
/** Ops that move values without changing them: their output shares their input's scale (onnxruntime then drops the Q/DQ around them). */
const PASS_THROUGH = new Set(["MaxPool", "Flatten", "Reshape"]);

export interface QdqPlan {
  /** every activation tensor that gets a Q/DQ pair, in graph order */
  quantized: string[];
  /** the tensors that need their own calibrated range */
  calibrated: string[];
  /** quantized tensor -> the calibrated tensor whose parameters it uses */
  source: Map<string, string>;
  /** nodes left in fp32 (their input and weights are not quantized) */
  fp32Nodes: Set<string>;
}

/** Which activations to quantize, and which of them need their own range; nodes named in keepFp32 stay fp32. */
export function planQdq(fp32: Uint8Array, keepFp32: readonly string[] = []): QdqPlan {
  const graph = graphOf(decodeModel(fp32));
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const producer = new Map<string, NodeProto>();
  for (const n of graph.node) for (const o of n.output ?? []) producer.set(o, n);
  const quantized: string[] = [];
  const source = new Map<string, string>();
  const resolve = (t: string): string => {
    const p = producer.get(t);
    if (p !== undefined && PASS_THROUGH.has(p.opType ?? "")) return resolve(p.input![0]!);
    return t;
  };
  for (const n of graph.node) {
    if (!CONSUMERS.has(n.opType ?? "") || keepFp32.includes(n.name ?? "")) continue;
    const t = n.input?.[0];
    if (t === undefined || initializers.has(t) || source.has(t)) continue;
    quantized.push(t);
    source.set(t, resolve(t));
  }
  // A pass-through op's input must be quantized too, or its output's range would have no source.
  for (const t of [...source.values()]) {
    if (!source.has(t)) {
      quantized.push(t);
      source.set(t, t);
    }
  }
  const calibrated = [...new Set(source.values())];
  const names = new Set(graph.node.map((n) => n.name ?? ""));
  const unknown = keepFp32.filter((n) => !names.has(n));
  if (unknown.length > 0) throw new Error(`no node named ${unknown.join(", ")} in the model`);
  return { quantized, calibrated, source, fp32Nodes: new Set(keepFp32) };
}

export interface QdqResult {
  model: Uint8Array;
  /** per quantized activation: its scale and zero point */
  activations: Record<string, ActivationParams>;
}

/**
 * The QDQ model for given activation parameters (one per calibrated tensor of the plan).
 * Conv weights are quantized per output channel (axis 0); Gemm weights per output column.
 */
export function toQdq(fp32: Uint8Array, plan: QdqPlan, params: ReadonlyMap<string, ActivationParams>): QdqResult {
  const model = decodeModel(fp32);
  const graph = graphOf(model);
  const inits = new Map(graph.initializer.map((t) => [t.name ?? "", t]));
  const removed = new Set<string>();
  const added: TensorProto[] = [];
  const head: NodeProto[] = [];
  const activations: Record<string, ActivationParams> = {};

  const paramsOf = (t: string): ActivationParams => {
    const src = plan.source.get(t);
    const p = src === undefined ? undefined : params.get(src);
    if (src === undefined || p === undefined) throw new Error(`no calibrated range for activation ${t}`);
    return p;
  };
  // scale and zero point initializers, one pair per calibrated tensor
  const qparams = new Set<string>();
  const qparamNames = (t: string): [string, string] => {
    const src = plan.source.get(t)!;
    if (!qparams.has(src)) {
      const p = paramsOf(t);
      added.push(floatTensor(`${src}.s`, [], [p.scale]), int8Tensor(`${src}.z`, [], Int8Array.of(p.zeroPoint)));
      qparams.add(src);
    }
    return [`${src}.s`, `${src}.z`];
  };
  const qdqPair = (t: string): NodeProto[] => {
    const [s, z] = qparamNames(t);
    activations[t] = paramsOf(t);
    return [
      { name: `${t}.Q`, opType: "QuantizeLinear", input: [t, s, z], output: [`${t}.q`] },
      { name: `${t}.DQ`, opType: "DequantizeLinear", input: [`${t}.q`, s, z], output: [`${t}.dq`] },
    ];
  };

  const weight = (name: string, axis: number): Float32Array => {
    const w = inits.get(name);
    if (w === undefined) throw new Error(`weight ${name} is not an initializer`);
    const dims = dimsOf(w);
    const q = quantizePerChannel(floatValues(w), dims, axis);
    removed.add(name);
    added.push(int8Tensor(`${name}.q`, dims, q.values), floatTensor(`${name}.s`, [q.scales.length], q.scales));
    added.push(int8Tensor(`${name}.z`, [q.scales.length], new Int8Array(q.scales.length)));
    head.push({
      name: `${name}.DQ`,
      opType: "DequantizeLinear",
      input: [`${name}.q`, `${name}.s`, `${name}.z`],
      output: [`${name}.dq`],
      attribute: [intAttribute("axis", axis)],
    });
    return q.scales;
  };
  const bias = (name: string, inputScale: number, weightScales: Float32Array): void => {
    const b = inits.get(name);
    if (b === undefined) throw new Error(`bias ${name} is not an initializer`);
    if (dimsOf(b).join() !== String(weightScales.length)) throw new Error(`bias ${name} has dims [${dimsOf(b)}], expected [${weightScales.length}]`);
    const q = quantizeBias(floatValues(b), inputScale, weightScales);
    removed.add(name);
    added.push(int32Tensor(`${name}.q`, [q.values.length], q.values), floatTensor(`${name}.s`, [q.scales.length], q.scales));
    head.push({ name: `${name}.DQ`, opType: "DequantizeLinear", input: [`${name}.q`, `${name}.s`], output: [`${name}.dq`], attribute: [intAttribute("axis", 0)] });
  };

  const quantizedSet = new Set(plan.quantized);
  const body: NodeProto[] = [];
  for (const input of graph.input) if (input.name !== null && input.name !== undefined && quantizedSet.has(input.name)) body.push(...qdqPair(input.name));
  for (const node of graph.node) {
    const op = node.opType ?? "";
    const inputs = [...(node.input ?? [])];
    const int8 = !plan.fp32Nodes.has(node.name ?? "");
    if (int8 && (op === "Conv" || op === "Gemm")) {
      if (op === "Gemm") {
        if (intAttributeOf(node, "transA", 0) !== 0) throw new Error(`Gemm ${node.name}: transA is not supported`);
        for (const a of node.attribute ?? []) {
          if ((a.name === "alpha" || a.name === "beta") && a.f !== 1) throw new Error(`Gemm ${node.name}: ${a.name} != 1 is not supported`);
        }
      }
      const axis = op === "Conv" ? 0 : intAttributeOf(node, "transB", 0) === 1 ? 0 : 1;
      const weightScales = weight(inputs[1]!, axis);
      inputs[1] = `${inputs[1]!}.dq`;
      if (inputs[2] !== undefined && inputs[2] !== "") {
        bias(inputs[2], paramsOf(inputs[0]!).scale, weightScales);
        inputs[2] = `${inputs[2]}.dq`;
      }
    }
    if (int8 && CONSUMERS.has(op) && quantizedSet.has(inputs[0]!)) inputs[0] = `${inputs[0]!}.dq`;
    body.push({ ...node, input: inputs });
    for (const o of node.output ?? []) if (quantizedSet.has(o)) body.push(...qdqPair(o));
  }

  graph.node = [...head, ...body];
  graph.initializer = [...graph.initializer.filter((t) => !removed.has(t.name ?? "")), ...added];
  model.docString = `${model.docString ?? ""} Quantized: int8 QDQ (per-channel symmetric weights, calibrated asymmetric int8 activations).`.trim();
  return { model: encodeModel(model), activations };
}
