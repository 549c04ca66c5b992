// Proves the TypeScript int8 quantizer: exact per-channel weight and activation parameters, percentile clipping, and that the default model in QDQ form keeps its accuracy, is <= 40 % of its size, and runs as QLinearConv/QGemm int8 kernels in onnxruntime's optimized graph.
import assert from "node:assert/strict";
import path from "node:path";
import { before, describe, it } from "node:test";
import { takeFirst, type DigitSet } from "../src/data/dataset.js";
import { loadEmbeddedMnist } from "../src/data/mnist-embedded.js";
import { hasMnist, loadMnistIdx, REPO_ROOT } from "../src/data/mnist-idx.js";
import { argmaxRows, onnxLogits, openSession, type OnnxRunOptions } from "../src/evaluate.js";
import { calibratedRange, HISTOGRAM_BINS, type TensorStats } from "../src/quantize/calibrate.js";
import { readFp32 } from "../src/quantize/finalize.js";
import { decodeModel, dimsOf, graphOf, DataType } from "../src/quantize/graph.js";
import { optimizedGraph } from "../src/quantize/optimized.js";
import { calibrate, quantizeWith, type Calibration } from "../src/quantize/quantize.js";
import { activationParams, quantizeBias, quantizePerChannel, roundHalfEven } from "../src/quantize/weights.js";

describe("weight and activation parameters", () => {
  it("quantizes weights per output channel, symmetric, within half a step", () => {
    // two output channels of 1x1x3 with very different ranges, and an all-zero third channel
    const w = Float32Array.of(0.5, -1.27, 0.01, 0.002, -0.001, 0.0005, 0, 0, 0);
    const q = quantizePerChannel(w, [3, 1, 1, 3], 0);
    assert.deepEqual(Array.from(q.scales), [Math.fround(1.27 / 127), Math.fround(0.002 / 127), 1]);
    assert.equal(q.values[1], -127);
    assert.equal(q.values[3], 127);
    w.forEach((v, i) => {
      const scale = q.scales[Math.floor(i / 3)]!;
      assert.ok(Math.abs(q.values[i]! * scale - v) <= scale / 2 + 1e-9, `weight ${i}: ${q.values[i]! * scale} vs ${v}`);
      assert.ok(q.values[i]! >= -127 && q.values[i]! <= 127);
    });
    // per column of a [4, 2] Gemm weight (axis 1)
    const g = quantizePerChannel(Float32Array.of(1, 10, -2, 0, 0.5, 5, 0, -20), [4, 2], 1);
    assert.deepEqual(Array.from(g.scales), [Math.fround(2 / 127), Math.fround(20 / 127)]);
  });

  it("quantizes biases to int32 at input scale x weight scale", () => {
    const { values, scales } = quantizeBias(Float32Array.of(0.1, -0.2), 0.02, Float32Array.of(0.5, 0.01));
    assert.deepEqual(Array.from(scales), [Math.fround(0.01), Math.fround(Math.fround(0.02) * Math.fround(0.01))]);
    assert.deepEqual(Array.from(values), [10, -1000]);
  });

  it("gives a ReLU output zero point -128 and maps a mixed range onto -128..127", () => {
    assert.deepEqual(activationParams(0, 5.1), { scale: Math.fround(0.02), zeroPoint: -128 });
    const p = activationParams(-0.4242, 2.8215);
    assert.ok(Number.isInteger(p.zeroPoint) && p.zeroPoint > -128 && p.zeroPoint < 0, `zero point ${p.zeroPoint}`);
    assert.ok(Math.abs(-0.4242 / p.scale + p.zeroPoint - -128) <= 0.5, "the minimum maps to -128");
    assert.ok(Math.abs(2.8215 / p.scale + p.zeroPoint - 127) <= 0.5, "the maximum maps to 127");
    // a range that does not contain 0 is widened to it, so that 0 (ReLU's floor, padding) is exact
    assert.equal(activationParams(1, 2).zeroPoint, -128);
    assert.equal(roundHalfEven(2.5), 2);
    assert.equal(roundHalfEven(-3.5), -4);
  });

  it("clips the upper tail with the percentile method and not with min-max", () => {
    // 9,999 values in the first bin, one outlier at the top
    const histogram = new Float64Array(HISTOGRAM_BINS);
    histogram[0] = 9999;
    histogram[HISTOGRAM_BINS - 1] = 1;
    const stats: TensorStats = { min: 0, max: 100, histogram, count: 10000 };
    assert.deepEqual(calibratedRange(stats, "minmax"), [0, 100]);
    const [lo, hi] = calibratedRange(stats, "percentile", 99.9);
    assert.equal(lo, 0);
    assert.ok(hi < 1, `percentile upper bound ${hi}`);
  });
});

describe("the default model in int8 QDQ", () => {
  const pkg = path.join(REPO_ROOT, "runtime", "models", "default");
  let fp32: Uint8Array;
  let run: OnnxRunOptions;
  let calibration: Calibration;
  let int8: Uint8Array;
  let test: DigitSet;

  before(async () => {
    const src = await readFp32(pkg);
    fp32 = src.model;
    run = { inputName: src.manifest.input.name, outputName: src.manifest.output.name, normalization: src.manifest.input };
    const idx = hasMnist(undefined, "train") && hasMnist(undefined, "test");
    const train = idx ? takeFirst(await loadMnistIdx("train"), 1000) : takeFirst(loadEmbeddedMnist("train"), 1000);
    test = idx ? takeFirst(await loadMnistIdx("test"), 2000) : loadEmbeddedMnist("test");
    calibration = await calibrate(fp32, { set: train, normalization: run.normalization, inputName: run.inputName });
    int8 = quantizeWith(fp32, calibration, "minmax").model;
  });

  it("stores every Conv weight as int8 behind a per-channel DequantizeLinear (axis 0)", () => {
    const graph = graphOf(decodeModel(int8));
    const inits = new Map(graph.initializer.map((t) => [t.name, t]));
    const producer = new Map(graph.node.flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
    const convs = graph.node.filter((n) => n.opType === "Conv");
    assert.ok(convs.length >= 2);
    for (const conv of convs) {
      for (const input of conv.input!.slice(0, 2)) assert.equal(producer.get(input)?.opType, "DequantizeLinear", `${conv.name} input ${input}`);
      const dq = producer.get(conv.input![1]!)!;
      const weight = inits.get(dq.input![0]!)!;
      assert.equal(weight.dataType, DataType.INT8);
      const axis = dq.attribute?.find((a) => a.name === "axis");
      assert.equal(Number(axis?.i), 0);
      assert.equal(dimsOf(inits.get(dq.input![1]!)!)[0], dimsOf(weight)[0], "one scale per output channel");
    }
    assert.equal(graph.initializer.filter((t) => t.dataType === DataType.FLOAT && dimsOf(t).length > 1).length, 0, "no fp32 weight matrix left");
  });

  it("is at most 40 % of the fp32 model's size", () => {
    assert.ok(int8.length <= 0.4 * fp32.length, `${int8.length} bytes vs ${fp32.length}`);
  });

  it("answers like the fp32 model on MNIST test digits", async () => {
    const predict = async (model: Uint8Array): Promise<Uint8Array> => {
      const session = await openSession(model);
      try {
        return argmaxRows(await onnxLogits(session, test, run));
      } finally {
        await session.release();
      }
    };
    const [a, b] = [await predict(fp32), await predict(int8)];
    let agree = 0;
    let correct32 = 0;
    let correct8 = 0;
    for (let i = 0; i < test.count; i++) {
      if (a[i] === b[i]) agree++;
      if (a[i] === test.labels[i]) correct32++;
      if (b[i] === test.labels[i]) correct8++;
    }
    assert.ok(agree / test.count >= 0.995, `agreement ${agree}/${test.count}`);
    assert.ok(correct32 - correct8 <= 0.003 * test.count, `fp32 ${correct32} vs int8 ${correct8} of ${test.count}`);
  });

  it("runs as int8 kernels in onnxruntime: QLinearConv and QGemm, no fp32 Conv or Gemm", async () => {
    const q = await optimizedGraph(int8);
    const convs = graphOf(decodeModel(fp32)).node.filter((n) => n.opType === "Conv").length;
    const qconv = (q.ops["QLinearConv"] ?? 0) + (q.ops["com.microsoft.QLinearConv"] ?? 0);
    assert.equal(qconv, convs, JSON.stringify(q.ops));
    assert.equal(q.ops["com.microsoft.QGemm"], 1, JSON.stringify(q.ops));
    assert.equal(q.fp32Compute, 0, JSON.stringify(q.ops));
    // and the check can tell: the fp32 model runs no int8 kernel
    const f = await optimizedGraph(fp32);
    assert.equal(f.int8Kernels, 0, JSON.stringify(f.ops));
    assert.ok(f.fp32Compute > 0, JSON.stringify(f.ops));
  });

  it("leaves named nodes in fp32 when asked", async () => {
    const firstConv = graphOf(decodeModel(fp32)).node.find((n) => n.opType === "Conv")!.name!;
    const mixedCalibration = await calibrate(fp32, { set: takeFirst(test, 200), normalization: run.normalization, inputName: run.inputName }, [firstConv]);
    assert.ok(!mixedCalibration.plan.quantized.includes(run.inputName), "the model input is not quantized");
    const mixed = quantizeWith(fp32, mixedCalibration, "minmax").model;
    const q = await optimizedGraph(mixed);
    assert.equal(q.fp32Compute, 1, JSON.stringify(q.ops));
    assert.ok(q.int8Kernels >= 2, JSON.stringify(q.ops));
  });
});
