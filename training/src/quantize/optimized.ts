// What onnxruntime really runs: saves the session's optimized graph (optimizedModelFilePath) and counts its ops,
// the proof that a QDQ model executes as int8 kernels (QLinearConv, QGemm, ...) rather than dequantized fp32.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { decodeModel, opCounts } from "./graph.js";

/** Op types of onnxruntime's CPU provider that compute on int8 (custom domains prefixed, e.g. com.microsoft.QGemm). */
const INT8_KERNEL = /^(com\.microsoft\.)?(QLinear\w+|QGemm|MatMulInteger\w*|ConvInteger|NhwcMaxPool)$/;

export interface OptimizedGraph {
  /** op type -> count in the graph onnxruntime runs (custom domains prefixed, e.g. com.microsoft.QGemm) */
  ops: Record<string, number>;
  /** how many nodes run an int8 kernel */
  int8Kernels: number;
  /** fp32 compute ops left (Conv, Gemm, MatMul and their fused/NCHWc forms) */
  fp32Compute: number;
}

const FP32_COMPUTE = /^(com\.microsoft\.(nchwc\.)?)?(Conv|Gemm|MatMul|FusedConv|FusedGemm|FusedMatMul)$/;

export function summarizeOps(ops: Record<string, number>): OptimizedGraph {
  let int8Kernels = 0;
  let fp32Compute = 0;
  for (const [op, n] of Object.entries(ops)) {
    if (INT8_KERNEL.test(op)) int8Kernels += n;
    if (FP32_COMPUTE.test(op)) fp32Compute += n;
  }
  return { ops, int8Kernels, fp32Compute };
}

/** Loads the model in onnxruntime (all optimizations, one thread, like the device) and reads back the graph it will run. */
export async function optimizedGraph(model: Uint8Array): Promise<OptimizedGraph> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dk-optimized-"));
  const file = path.join(dir, "optimized.onnx");
  try {
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      optimizedModelFilePath: file,
      // onnxruntime warns that an NCHWc-optimized graph is specific to this CPU: known, and only read here
      logSeverityLevel: 3,
    });
    await session.release();
    return summarizeOps(opCounts(decodeModel(await readFile(file))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
