// Proves the wasm convolution gradient kernels we register match the cpu backend's, and that a TinyVGG training step runs on wasm.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend, missingTrainingKernels, TRAINING_KERNELS } from "../src/backend.js";
import { createTinyVgg, crossEntropyFromLogits } from "../src/model.js";
import { DEFAULT_TRAIN_CONFIG, trainTinyVgg } from "../src/train.js";
import { createRandom, type Random } from "../src/util/random.js";

type Pad = "valid" | "same";
interface Case {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  pad: Pad;
}

const TOLERANCE = 1e-4;

function uniform(n: number, random: Random): Float32Array {
  return Float32Array.from({ length: n }, () => 2 * random.next() - 1);
}

/** Runs fn with the given backend active and returns its (downloaded) result. */
async function onBackend(name: string, fn: () => tf.Tensor): Promise<Float32Array> {
  const previous = tf.getBackend();
  await tf.setBackend(name);
  try {
    return tf.tidy(() => fn().dataSync() as Float32Array);
  } finally {
    await tf.setBackend(previous);
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, "results differ in size");
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function outSize(size: number, c: Case): number {
  return c.pad === "same" ? Math.ceil(size / c.stride) : Math.floor((size - c.kernel) / c.stride) + 1;
}

function randomCases(count: number, random: Random): Case[] {
  const cases: Case[] = [];
  const channels = [1, 2, 3, 5, 8, 10, 16];
  for (let i = 0; i < count; i++) {
    const kernel = [1, 2, 3, 5][random.int(4)]!;
    cases.push({
      batch: 2 + random.int(4),
      height: kernel + 2 + random.int(12),
      width: kernel + 2 + random.int(12),
      inChannels: channels[random.int(channels.length)]!,
      outChannels: channels[random.int(channels.length)]!,
      kernel,
      stride: i % 4 === 3 ? 2 : 1,
      pad: i % 2 === 0 ? "valid" : "same",
    });
  }
  // the TinyVGG layers themselves
  cases.push({ batch: 4, height: 28, width: 28, inChannels: 1, outChannels: 16, kernel: 3, stride: 1, pad: "valid" });
  cases.push({ batch: 3, height: 12, width: 12, inChannels: 16, outChannels: 16, kernel: 3, stride: 1, pad: "valid" });
  return cases;
}

const describeCase = (c: Case): string =>
  `x [${c.batch},${c.height},${c.width},${c.inChannels}] filter ${c.kernel}x${c.kernel}x${c.inChannels}x${c.outChannels} stride ${c.stride} ${c.pad}`;

describe("wasm training kernels", () => {
  before(async () => {
    assert.equal(await initBackend("wasm"), "wasm");
  });

  const cases = randomCases(12, createRandom(7));

  for (const c of cases) {
    it(`Conv2DBackpropFilter equals cpu: ${describeCase(c)}`, async () => {
      const random = createRandom(c.batch * 1000 + c.height * 10 + c.inChannels);
      const dyShape: [number, number, number, number] = [c.batch, outSize(c.height, c), outSize(c.width, c), c.outChannels];
      const xData = uniform(c.batch * c.height * c.width * c.inChannels, random);
      const dyData = uniform(dyShape.reduce((a, b) => a * b, 1), random);
      const filterShape: [number, number, number, number] = [c.kernel, c.kernel, c.inChannels, c.outChannels];
      const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: "NHWC", filterShape } as unknown as tf.NamedAttrMap;
      const run = (): tf.Tensor =>
        tf.engine().runKernel(
          "Conv2DBackpropFilter",
          { x: tf.tensor4d(xData, [c.batch, c.height, c.width, c.inChannels]), dy: tf.tensor4d(dyData, dyShape) },
          attrs,
        ) as tf.Tensor;
      const wasm = await onBackend("wasm", run);
      const cpu = await onBackend("cpu", run);
      assert.equal(wasm.length, filterShape.reduce((a, b) => a * b, 1));
      const diff = maxAbsDiff(wasm, cpu);
      assert.ok(diff <= TOLERANCE, `max |wasm - cpu| = ${diff}`);
    });

    it(`Conv2DBackpropInput equals cpu: ${describeCase(c)}`, async () => {
      const random = createRandom(c.batch * 777 + c.width);
      const dyShape: [number, number, number, number] = [c.batch, outSize(c.height, c), outSize(c.width, c), c.outChannels];
      const filterShape: [number, number, number, number] = [c.kernel, c.kernel, c.inChannels, c.outChannels];
      const filterData = uniform(filterShape.reduce((a, b) => a * b, 1), random);
      const dyData = uniform(dyShape.reduce((a, b) => a * b, 1), random);
      const inputShape = [c.batch, c.height, c.width, c.inChannels];
      const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: "NHWC", inputShape } as unknown as tf.NamedAttrMap;
      const run = (): tf.Tensor =>
        tf.engine().runKernel("Conv2DBackpropInput", { dy: tf.tensor4d(dyData, dyShape), filter: tf.tensor4d(filterData, filterShape) }, attrs) as tf.Tensor;
      const diff = maxAbsDiff(await onBackend("wasm", run), await onBackend("cpu", run));
      assert.ok(diff <= TOLERANCE, `max |wasm - cpu| = ${diff}`);
    });
  }

  it("tf.grad of a conv2d (the path training takes) agrees with cpu for filter and input", async () => {
    const random = createRandom(99);
    const xData = uniform(3 * 14 * 14 * 4, random);
    const wData = uniform(3 * 3 * 4 * 6, random);
    const rData = uniform(3 * 12 * 12 * 6, random);
    const grads = (which: 0 | 1) => (): tf.Tensor => {
      const x = tf.tensor4d(xData, [3, 14, 14, 4]);
      const w = tf.tensor4d(wData, [3, 3, 4, 6]);
      const r = tf.tensor4d(rData, [3, 12, 12, 6]);
      // loss = sum(conv(x, w) * r), so dy = r: the gradients stay of moderate size and 1e-4 stays meaningful
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "valid"), r)));
      return g([x, w])[which]!;
    };
    for (const which of [0, 1] as const) {
      const diff = maxAbsDiff(await onBackend("wasm", grads(which)), await onBackend("cpu", grads(which)));
      assert.ok(diff <= TOLERANCE, `${which === 0 ? "input" : "filter"} gradient: max |wasm - cpu| = ${diff}`);
    }
  });

  it("rejects what it does not implement with a clear error", () => {
    const x = tf.zeros([1, 1, 5, 5]);
    const dy = tf.zeros([1, 1, 3, 3]);
    assert.throws(
      () =>
        tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
          strides: [1, 1],
          pad: "valid",
          dataFormat: "NCHW",
          filterShape: [3, 3, 1, 1],
        } as unknown as tf.NamedAttrMap),
      /Conv2DBackpropFilter \(wasm\) does not support dataFormat NCHW/,
    );
    tf.dispose([x, dy]);
  });

  it("the real training loop runs on wasm, and TRAINING_KERNELS lists every kernel it uses", async () => {
    const images = new Uint8Array(16 * 784).map((_, i) => (i * 37) % 256);
    const data = { images, labels: Uint8Array.from({ length: 16 }, (_, i) => i % 10), count: 16 };
    const config = { ...DEFAULT_TRAIN_CONFIG, width: 3, epochs: 1, batchSize: 8 };
    const kernelsOn = async (backend: string): Promise<string[]> => {
      await tf.setBackend(backend);
      const profile = await tf.profile(async () => {
        const { model } = await trainTinyVgg(data, config);
        model.dispose();
      });
      return profile.kernelNames.filter((name) => !name.endsWith("__op")); // "__op" entries are op scopes, not kernels
    };
    const onCpu = await kernelsOn("cpu");
    const onWasm = await kernelsOn("wasm");
    assert.ok(onCpu.includes("Conv2DBackpropFilter") && onCpu.includes("MaxPoolGrad"), `kernels seen: ${onCpu.join(", ")}`);
    assert.deepEqual([...onWasm].sort(), [...onCpu].sort());
    assert.deepEqual(onCpu.filter((name) => !(TRAINING_KERNELS as readonly string[]).includes(name)), []);
    assert.deepEqual(missingTrainingKernels("wasm"), []);
  });

  it("one Adam step on wasm moves every weight", () => {
    const model = createTinyVgg({ width: 4, seed: 1 });
    const optimizer = tf.train.adam(1e-3);
    const x = tf.randomUniform([8, 28, 28, 1], -1, 1, "float32", 1);
    const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], "int32");
    const before = model.getWeights().map((w) => w.dataSync().slice());
    optimizer.minimize(() => crossEntropyFromLogits(model.apply(x, { training: true }) as tf.Tensor2D, y));
    const changed = model.getWeights().filter((w, i) => maxAbsDiff(w.dataSync() as Float32Array, before[i] as Float32Array) > 0);
    assert.equal(changed.length, before.length);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });});
