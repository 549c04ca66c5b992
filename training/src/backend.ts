// Picks the fastest TF.js backend this machine has (tfjs-node, else wasm, else cpu) and fills the wasm kernel gaps training needs.
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmTrainingKernels } from "./wasm-kernels.js";

export type BackendChoice = "auto" | "tensorflow" | "wasm" | "cpu";

/**
 * Kernels one TinyVGG training step runs (forward, backward, Adam), as tf.profile lists them on
 * the cpu backend; test/backend.test.ts checks the list against a real step on wasm.
 */
export const TRAINING_KERNELS = [
  "Add",
  "ArgMax",
  "BatchMatMul",
  "Cast",
  "Conv2D",
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "Equal",
  "Exp",
  "Identity",
  "Log",
  "Max",
  "MaxPool",
  "MaxPoolGrad",
  "Mean",
  "Multiply",
  "Neg",
  "OneHot",
  "RealDiv",
  "Relu",
  "Reshape",
  "Slice",
  "Sqrt",
  "Square",
  "Step",
  "Sub",
  "Sum",
  "ZerosLike",
  "_FusedMatMul",
] as const;

const WASM = "wasm";

/** Kernels from TRAINING_KERNELS that a backend does not register. */
export function missingTrainingKernels(backendName: string): string[] {
  const have = new Set(tf.getKernelsForBackend(backendName).map((k) => k.kernelName));
  return TRAINING_KERNELS.filter((name) => !have.has(name));
}

async function tryTensorflowNode(): Promise<boolean> {
  // optionalDependency: its install downloads libtensorflow, which fails without internet.
  const specifier = "@tensorflow/tfjs-node";
  try {
    await import(specifier);
  } catch {
    return false;
  }
  return tf.findBackend("tensorflow") !== null && (await tf.setBackend("tensorflow"));
}

async function tryWasm(): Promise<boolean> {
  const require = createRequire(import.meta.url);
  const wasmFile = require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm");
  setWasmPaths(path.dirname(wasmFile) + path.sep);
  registerWasmTrainingKernels();
  try {
    return await tf.setBackend(WASM);
  } catch {
    return false;
  }
}

/**
 * Selects the backend ("auto": tfjs-node when it can be imported, else wasm, else the slow cpu
 * backend) and returns its name. Throws when an explicitly requested backend cannot start or
 * when the chosen backend misses a kernel training needs.
 */
export async function initBackend(choice: BackendChoice = "auto"): Promise<string> {
  let ok = false;
  switch (choice) {
    case "auto":
      ok = (await tryTensorflowNode()) || (await tryWasm()) || (await tf.setBackend("cpu"));
      break;
    case "tensorflow":
      ok = await tryTensorflowNode();
      break;
    case "wasm":
      ok = await tryWasm();
      break;
    case "cpu":
      ok = await tf.setBackend("cpu");
      break;
  }
  if (!ok) throw new Error(`TF.js backend "${choice}" could not be initialized`);
  await tf.ready();
  const name = tf.getBackend();
  const missing = missingTrainingKernels(name);
  if (missing.length > 0) throw new Error(`TF.js backend ${name} lacks kernels needed for training: ${missing.join(", ")}`);
  return name;
}
