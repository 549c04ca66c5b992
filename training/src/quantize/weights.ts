// Per-channel symmetric int8 weights, int32 biases and asymmetric int8 activation parameters, as onnxruntime expects them.

/** Round half to even, like onnxruntime's QuantizeLinear. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface ChannelQuantized {
  values: Int8Array;
  /** one scale per channel along the axis (float32-representable) */
  scales: Float32Array;
}

/**
 * Symmetric per-channel int8: scale_c = max|w_c| / 127, zero point 0, values in [-127, 127]
 * (the restricted range avoids the -128 * -128 overflow of some int8 kernels).
 */
export function quantizePerChannel(weights: Float32Array, dims: number[], axis: number): ChannelQuantized {
  if (axis < 0 || axis >= dims.length) throw new Error(`axis ${axis} out of range for dims [${dims}]`);
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  if (outer * channels * inner !== weights.length) throw new Error(`${weights.length} weights do not fit dims [${dims}]`);
  const channelOf = (i: number): number => Math.floor(i / inner) % channels;
  const maxAbs = new Float64Array(channels);
  weights.forEach((w, i) => {
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(w));
  });
  // A channel of zeros still needs a positive scale.
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const values = new Int8Array(weights.length);
  weights.forEach((w, i) => {
    values[i] = Math.max(-127, Math.min(127, roundHalfEven(w / scales[channelOf(i)]!)));
  });
  return { values, scales };
}

/** Bias as int32 with scale input_scale * weight_scale[c] (computed in float32, as the kernels do), zero point 0. */
export function quantizeBias(bias: Float32Array, inputScale: number, weightScales: Float32Array): { values: Int32Array; scales: Float32Array } {
  if (bias.length !== weightScales.length) throw new Error(`${bias.length} biases for ${weightScales.length} weight channels`);
  const scales = Float32Array.from(weightScales, (s) => Math.fround(Math.fround(inputScale) * s));
  const values = Int32Array.from(bias, (b, c) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, roundHalfEven(b / scales[c]!))));
  return { values, scales };
}

export interface ActivationParams {
  scale: number;
  /** int8 zero point */
  zeroPoint: number;
}

/**
 * Asymmetric int8 for a real range [min, max] (widened to contain 0, so that 0 is exact):
 * scale = (max - min) / 255, zero point = round(-128 - min / scale). For a ReLU output (min 0)
 * the zero point is -128, which lets onnxruntime drop the ReLU into the quantized conv.
 */
export function activationParams(min: number, max: number): ActivationParams {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`activation range [${min}, ${max}] is not finite`);
  const scale = Math.fround(hi > lo ? (hi - lo) / 255 : 1);
  const zeroPoint = Math.max(-128, Math.min(127, roundHalfEven(-128 - lo / scale)));
  return { scale, zeroPoint };
}
