// Convolution gradient kernels for the TF.js wasm backend, written as plain conv2d calls on XNNPACK.
import * as tf from "@tensorflow/tfjs";

const WASM = "wasm";

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Shape4 = [number, number, number, number];

interface Padding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Runs the wasm backend's own kernels and frees every intermediate it made. */
class KernelScope {
  private readonly temps: tf.TensorInfo[] = [];

  constructor(private readonly backend: KernelArgs["backend"]) {}

  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo {
    const config = tf.getKernel(name, WASM);
    if (config === undefined) throw new Error(`wasm backend has no ${name} kernel`);
    const out = config.kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`wasm ${name} returned ${out.length} tensors, expected one`);
    return out;
  }

  /** Like run, but the result is freed when the scope ends. */
  temp(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo {
    const out = this.run(name, inputs, attrs);
    this.temps.push(out);
    return out;
  }

  dispose(): void {
    const kb = this.backend as tf.KernelBackend;
    for (const t of this.temps) kb.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

function withScope<T>(backend: KernelArgs["backend"], body: (scope: KernelScope) => T): T {
  const scope = new KernelScope(backend);
  try {
    return body(scope);
  } finally {
    scope.dispose();
  }
}

function checkNhwcFloat(kernel: string, dataFormat: string, tensors: Record<string, tf.TensorInfo | undefined>): void {
  const problems: string[] = [];
  if (dataFormat !== "NHWC") problems.push(`dataFormat ${dataFormat} (only NHWC)`);
  for (const [name, t] of Object.entries(tensors)) {
    if (t === undefined) problems.push(`missing input ${name}`);
    else {
      if (t.shape.length !== 4) problems.push(`${name} of rank ${t.shape.length} (only rank 4)`);
      if (t.dtype !== "float32") problems.push(`${name} of dtype ${t.dtype} (only float32)`);
    }
  }
  if (problems.length > 0) throw new Error(`${kernel} (wasm) does not support ${problems.join(", ")}`);
}

function explicitPad(p: Padding): [[number, number], [number, number], [number, number], [number, number]] {
  return [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ];
}

/**
 * dW[ky,kx,ci,co] = sum over b,oy,ox of x[b, oy*s+ky-pt, ox*s+kx-pl, ci] * dy[b,oy,ox,co].
 * Read with ci as the batch and b as the channel, that is a conv2d of x^T = [ci,H,W,B] with
 * dy^T = [oh,ow,B,co] as the filter, stride 1, dilation s (the forward stride) and the forward
 * padding. Its output [ci,kh',kw',co] (kh' >= kh) is cropped and transposed to [kh,kw,ci,co].
 */
function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  checkNhwcFloat("Conv2DBackpropFilter", attrs.dataFormat, { x, dy });
  if (x === undefined || dy === undefined) throw new Error("unreachable: checked above");
  const filterShape = attrs.filterShape;
  const [kh, kw, inChannels, outChannels] = filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const expected = [x.shape[0], info.outHeight, info.outWidth, outChannels];
  if (dy.shape.join() !== expected.join() || x.shape[3] !== inChannels) {
    throw new Error(
      `Conv2DBackpropFilter (wasm): x [${x.shape}] and dy [${dy.shape}] do not fit filter [${filterShape}] (dy should be [${expected}])`,
    );
  }
  const pad: Padding = info.padInfo;
  if (Math.min(pad.top, pad.bottom, pad.left, pad.right) < 0) {
    throw new Error(`Conv2DBackpropFilter (wasm): negative padding ${JSON.stringify(pad)} is not supported`);
  }
  return withScope(args.backend, (k) => {
    const xT = k.temp("Transpose", { x }, { perm: [3, 1, 2, 0] });
    const dyT = k.temp("Transpose", { x: dy }, { perm: [1, 2, 0, 3] });
    let grad = k.temp(
      "Conv2D",
      { x: xT, filter: dyT },
      { strides: [1, 1], dilations: [info.strideHeight, info.strideWidth], pad: explicitPad(pad), dataFormat: "NHWC" },
    );
    const [, gh = 0, gw = 0] = grad.shape;
    if (gh < kh || gw < kw) throw new Error(`Conv2DBackpropFilter (wasm): internal conv gave [${grad.shape}], smaller than [${filterShape}]`);
    if (gh !== kh || gw !== kw) {
      grad = k.temp("Slice", { x: grad }, { begin: [0, 0, 0, 0], size: [inChannels, kh, kw, outChannels] });
    }
    return k.run("Transpose", { x: grad }, { perm: [1, 2, 0, 3] });
  });
}

/**
 * For stride 1: dx = conv2d(dy, W') with W'[a,b,co,ci] = W[kh-1-a, kw-1-b, ci, co] (the filter
 * turned by 180 degrees, channels swapped) and padding kh-1-top / kh-1-bottom (same for width).
 * Other strides go to the wasm backend's own (much slower) kernel.
 */
function makeConv2DBackpropInput(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] => {
    const { dy, filter } = args.inputs;
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    checkNhwcFloat("Conv2DBackpropInput", attrs.dataFormat, { dy, filter });
    if (dy === undefined || filter === undefined) throw new Error("unreachable: checked above");
    const filterShape = filter.shape as Shape4;
    const [kh, kw] = filterShape;
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      "channelsLast",
    );
    const p: Padding = info.padInfo;
    const flippedPad: Padding = { top: kh - 1 - p.top, bottom: kh - 1 - p.bottom, left: kw - 1 - p.left, right: kw - 1 - p.right };
    const fast =
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      Math.min(flippedPad.top, flippedPad.bottom, flippedPad.left, flippedPad.right) >= 0 &&
      info.outHeight === dy.shape[1] &&
      info.outWidth === dy.shape[2];
    if (!fast) return fallback(args);
    return withScope(args.backend, (k) => {
      const turned = k.temp("Reverse", { x: filter }, { dims: [0, 1] });
      const swapped = k.temp("Transpose", { x: turned }, { perm: [0, 1, 3, 2] });
      const dx = k.run(
        "Conv2D",
        { x: dy, filter: swapped },
        { strides: [1, 1], dilations: [1, 1], pad: explicitPad(flippedPad), dataFormat: "NHWC" },
      );
      if (dx.shape.join() !== attrs.inputShape.join()) {
        (args.backend as tf.KernelBackend).disposeData(dx.dataId);
        throw new Error(`Conv2DBackpropInput (wasm): got [${dx.shape}], expected [${attrs.inputShape}]`);
      }
      return dx;
    });
  };
}

let registered = false;

/**
 * Registers, for the wasm backend, Conv2DBackpropFilter (missing there) and a stride-1
 * Conv2DBackpropInput about 10x faster than the built-in one, which stays the fallback.
 * Call before the wasm backend is initialized. Idempotent.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel("Conv2DBackpropFilter", WASM) === undefined) {
    tf.registerKernel({ kernelName: "Conv2DBackpropFilter", backendName: WASM, kernelFunc: conv2DBackpropFilter });
  }
  const builtIn = tf.getKernel("Conv2DBackpropInput", WASM);
  if (builtIn !== undefined) {
    tf.unregisterKernel("Conv2DBackpropInput", WASM);
    tf.registerKernel({
      kernelName: "Conv2DBackpropInput",
      backendName: WASM,
      kernelFunc: makeConv2DBackpropInput(builtIn.kernelFunc),
      ...(builtIn.setupFunc ? { setupFunc: builtIn.setupFunc } : {}),
      ...(builtIn.disposeFunc ? { disposeFunc: builtIn.disposeFunc } : {}),
    });
  }
}
