// Proves classroom mode's activations: the layers are found by op type (fp32 and int8 QDQ graphs alike), the first layer's maps equal a convolution computed here from the model's own weights, the output matches the normal prediction, and WS "explain" answers without changing "predict".
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import onnxProto from "onnx-proto";
import { DEFAULT_CONFIG } from "../src/config.js";
import type { LayerActivation, WsAnyServerMessage, WsExplanationMessage } from "../src/contracts/api.js";
import { findTaps, tapModel } from "../src/explain/graph.js";
import { sha256Hex } from "../src/model/package.js";
import { renderStrokes } from "../src/preprocess/index.js";
import { sevenStrokes, startTestApp, TestSocket } from "./helpers.js";

const { onnx } = onnxProto;
/** The default package's fp32 twin: its weights are plain floats, so the test can compute a layer itself. */
const modelFile = path.join(DEFAULT_CONFIG.modelDir, "model-fp32.onnx");
const seven = () => ({ strokes: sevenStrokes(), width: 800, height: 480 });
/** TinyVGG's width: the output channels of its first convolution. */
const WIDTH = Number(
  onnx.ModelProto.decode(readFileSync(modelFile)).graph!.initializer!.find((t) => t.dims!.length === 4)!.dims![0],
);
const EXPECTED = [
  { kind: "conv", shape: [WIDTH, 26, 26] },
  { kind: "conv", shape: [WIDTH, 24, 24] },
  { kind: "pool", shape: [WIDTH, 12, 12] },
  { kind: "conv", shape: [WIDTH, 10, 10] },
  { kind: "conv", shape: [WIDTH, 8, 8] },
  { kind: "pool", shape: [WIDTH, 4, 4] },
];

/** A copy of the default package whose model.onnx is the given model. */
async function packageWith(bytes: Uint8Array, quantization: "none" | "int8-qdq"): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dk-explain-"));
  await cp(DEFAULT_CONFIG.modelDir, dir, { recursive: true });
  await writeFile(path.join(dir, "model.onnx"), bytes);
  const manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as Record<string, unknown>;
  await writeFile(path.join(dir, "manifest.json"), JSON.stringify({ ...manifest, sha256: sha256Hex(bytes), quantization }));
  return dir;
}

function floats(t: onnxProto.onnx.ITensorProto): Float32Array {
  const raw = t.rawData!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/** The default model with QuantizeLinear/DequantizeLinear pairs after every ReLU and MaxPool, as a QDQ export has them. */
function qdqVariant(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const renamed = new Map<string, string>();
  graph.initializer!.push(
    { name: "act.scale", dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [0.05] },
    { name: "act.zero", dataType: onnx.TensorProto.DataType.UINT8, dims: [], int32Data: [0] },
  );
  for (const node of graph.node!) {
    nodes.push({ ...node, input: node.input!.map((i) => renamed.get(i) ?? i) });
    if (node.opType === "Relu" || node.opType === "MaxPool") {
      const t = node.output![0]!;
      nodes.push({ name: `${t}.Q`, opType: "QuantizeLinear", input: [t, "act.scale", "act.zero"], output: [`${t}.q`] });
      nodes.push({ name: `${t}.DQ`, opType: "DequantizeLinear", input: [`${t}.q`, "act.scale", "act.zero"], output: [`${t}.dq`] });
      renamed.set(t, `${t}.dq`);
    }
  }
  graph.node = nodes;
  return onnx.ModelProto.encode(model).finish();
}

function decode(layer: LayerActivation): Uint8Array {
  return new Uint8Array(Buffer.from(layer.data, "base64"));
}

async function explainOver(url: string): Promise<{ explanation: WsExplanationMessage; prediction: WsAnyServerMessage }> {
  const ws = await TestSocket.open(url);
  try {
    ws.send({ type: "explain", id: "x1", ...seven() });
    ws.send({ type: "predict", id: 2, ...seven() });
    const messages = [await ws.next(), await ws.next()] as WsAnyServerMessage[];
    const explanation = messages.find((m) => m.type === "explanation");
    const prediction = messages.find((m) => m.type === "prediction");
    assert.ok(explanation !== undefined && explanation.type === "explanation", JSON.stringify(messages).slice(0, 300));
    assert.ok(prediction !== undefined);
    assert.equal(explanation.id, "x1");
    return { explanation, prediction };
  } finally {
    ws.close();
  }
}

describe("finding the layers", () => {
  test("fp32: every convolution after its ReLU, and every max-pooling, input side first", async () => {
    const { taps } = tapModel(await readFile(modelFile));
    assert.deepEqual(
      taps.map((t) => [t.kind, t.relu]),
      EXPECTED.map((e) => [e.kind, true]),
    );
  });

  test("int8 QDQ: the same layers, found through the Quantize/DequantizeLinear pairs", async () => {
    const model = onnx.ModelProto.decode(qdqVariant(await readFile(modelFile)));
    const taps = findTaps(model.graph!.node!);
    assert.deepEqual(
      taps.map((t) => t.kind),
      EXPECTED.map((e) => e.kind),
    );
    assert.ok(taps.every((t) => !t.tensor.endsWith(".q") && !t.tensor.endsWith(".dq")), "the float tensors, not their encodings");
  });

  test("a ReLU behind a Quantize/DequantizeLinear pair still belongs to its convolution", () => {
    const taps = findTaps([
      { opType: "Conv", input: ["input", "w", "b"], output: ["c1"] },
      { opType: "QuantizeLinear", input: ["c1", "s", "z"], output: ["c1.q"] },
      { opType: "DequantizeLinear", input: ["c1.q", "s", "z"], output: ["c1.dq"] },
      { opType: "Relu", input: ["c1.dq"], output: ["r1"] },
    ]);
    assert.deepEqual(taps, [{ tensor: "r1", kind: "conv", relu: true }]);
  });

  test("a convolution without a ReLU is shown as it is", () => {
    const taps = findTaps([
      { opType: "Conv", input: ["input", "w", "b"], output: ["c1"] },
      { opType: "MaxPool", input: ["c1"], output: ["p1"] },
    ]);
    assert.deepEqual(taps, [
      { tensor: "c1", kind: "conv", relu: false },
      { tensor: "p1", kind: "pool", relu: false },
    ]);
  });
});

describe("WS explain (the default model's fp32 twin)", () => {
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let dir: string;
  before(async () => {
    dir = await packageWith(await readFile(modelFile), "none");
    app = await startTestApp({ modelDir: dir });
  });
  after(async () => {
    await app.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("answers every layer's feature maps, with the output of the same model as predict", async () => {
    const { explanation, prediction } = await explainOver(`ws://127.0.0.1:${app.port}/ws`);
    assert.equal(prediction.type, "prediction");
    if (prediction.type !== "prediction") return;
    assert.deepEqual(
      explanation.layers.map((l) => [l.kind, [l.channels, l.height, l.width]]),
      EXPECTED.map((e) => [e.kind, e.shape]),
    );
    for (const layer of explanation.layers) {
      assert.equal(decode(layer).length, layer.channels * layer.height * layer.width);
      assert.equal(layer.min, 0, "after a ReLU nothing is negative");
      assert.ok(layer.max > 0, `${layer.name} fires somewhere`);
    }
    explanation.probabilities.forEach((p, d) => assert.ok(Math.abs(p - prediction.probabilities[d]!) < 1e-5, `output ${d}`));
    assert.equal(explanation.input, prediction.input, "the same 28x28 input");
    assert.deepEqual(explanation.model, prediction.model);
  });

  test("the first layer's maps are the model's own convolution and ReLU of the input", async () => {
    const { explanation } = await explainOver(`ws://127.0.0.1:${app.port}/ws`);
    const manifest = JSON.parse(await readFile(path.join(DEFAULT_CONFIG.modelDir, "manifest.json"), "utf8")) as { input: { pixelScale: number; mean: number; std: number } };
    const graph = onnx.ModelProto.decode(await readFile(modelFile)).graph!;
    const conv = graph.node!.find((n) => n.opType === "Conv")!;
    const init = (name: string) => floats(graph.initializer!.find((t) => t.name === name)!);
    const weight = init(conv.input![1]!);
    const bias = init(conv.input![2]!);
    const pixels = renderStrokes(seven().strokes, 800, 480);
    const x = Float32Array.from(pixels, (p) => (p * manifest.input.pixelScale - manifest.input.mean) / manifest.input.std);
    const expected = new Float32Array(WIDTH * 26 * 26);
    for (let c = 0; c < WIDTH; c++) {
      for (let i = 0; i < 26; i++) {
        for (let j = 0; j < 26; j++) {
          let v = bias[c]!;
          for (let ki = 0; ki < 3; ki++) for (let kj = 0; kj < 3; kj++) v += weight[c * 9 + ki * 3 + kj]! * x[(i + ki) * 28 + j + kj]!;
          expected[(c * 26 + i) * 26 + j] = Math.max(0, v);
        }
      }
    }
    const layer = explanation.layers[0]!;
    const max = Math.max(...expected);
    assert.ok(Math.abs(layer.max - max) < 1e-3 * max, `the layer's max ${layer.max} is ${max}`);
    const bytes = decode(layer);
    let worst = 0;
    expected.forEach((v, i) => (worst = Math.max(worst, Math.abs(bytes[i]! - (v / max) * 255))));
    assert.ok(worst <= 1, `every value within one byte step (worst ${worst.toFixed(2)})`);
  });

  test("a bad explain body gets the contract's 400 error on the socket, which stays usable", async () => {
    const ws = await TestSocket.open(`ws://127.0.0.1:${app.port}/ws`);
    try {
      ws.send({ type: "explain", id: "bad", strokes: "nope", width: 10, height: 10 });
      const msg = await ws.next();
      assert.equal(msg.type, "error");
      if (msg.type === "error") assert.equal(msg.error.code, "invalid_body");
      ws.send({ type: "predict", id: 3, ...seven() });
      const ok = await ws.next();
      assert.equal(ok.type, "prediction");
    } finally {
      ws.close();
    }
  });
});

describe("an int8 QDQ model", () => {
  let dir: string;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  before(async () => {
    dir = await packageWith(qdqVariant(await readFile(modelFile)), "int8-qdq");
    app = await startTestApp({ modelDir: dir });
  });
  after(async () => {
    await app.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("gets the same layers explained, and the same answer", async () => {
    const { explanation, prediction } = await explainOver(`ws://127.0.0.1:${app.port}/ws`);
    assert.deepEqual(
      explanation.layers.map((l) => [l.kind, [l.channels, l.height, l.width]]),
      EXPECTED.map((e) => [e.kind, e.shape]),
    );
    assert.ok(prediction.type === "prediction" && prediction.digit === 7);
    const best = explanation.probabilities.indexOf(Math.max(...explanation.probabilities));
    assert.equal(best, 7);
  });
});
