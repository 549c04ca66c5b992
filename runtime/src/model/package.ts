// Loads a model package (manifest.json + model.onnx): validates the manifest, checks the sha256,
// creates the onnxruntime session once, and refuses a manifest that does not match its model.
import { sha256Hex } from "../util/sha256.js";
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { MANIFEST_FILE, MODEL_FILE, validateManifest, type Manifest } from "../contracts/manifest.js";

export class PackageError extends Error {
  constructor(
    readonly dir: string,
    readonly problems: string[],
  ) {
    super(`model package ${dir} is invalid: ${problems.join("; ")}`);
    this.name = "PackageError";
  }
}

export interface LoadedModel {
  dir: string;
  manifest: Manifest;
  session: ort.InferenceSession;
  /** largest batch the model's input accepts (1 when the batch dimension is fixed) */
  maxBatch: number;
}

export { sha256Hex };

async function readOrProblem(file: string, problems: string[]): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (err) {
    problems.push(`cannot read ${path.basename(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return null;
  }
}

/** Checks that a session has the input and output its manifest names, with the right type and shape. */
export function checkSessionIo(session: ort.InferenceSession, manifest: Manifest): { problems: string[]; maxBatch: number } {
  const problems: string[] = [];
  const input = session.inputMetadata.find((m) => m.name === manifest.input.name);
  if (input === undefined) problems.push(`model has no input "${manifest.input.name}" (it has ${session.inputNames.join(", ")})`);
  if (!session.outputNames.includes(manifest.output.name)) {
    problems.push(`model has no output "${manifest.output.name}" (it has ${session.outputNames.join(", ")})`);
  }
  let maxBatch = 1;
  if (input !== undefined && input.isTensor) {
    const [batch, ...rest] = input.shape;
    if (input.type !== "float32") problems.push(`model input must be float32, is ${input.type}`);
    if (rest.join(",") !== "1,28,28") problems.push(`model input shape is [${input.shape.join(",")}], manifest says [1,1,28,28]`);
    if (typeof batch === "string") maxBatch = Number.MAX_SAFE_INTEGER;
    else if (batch !== 1) problems.push(`model input batch dimension is ${batch}, expected 1 or symbolic`);
  }
  return { problems, maxBatch };
}

/** Reads a package: the manifest must validate and its sha256 must match model.onnx. */
export async function readPackage(dir: string): Promise<{ manifest: Manifest; model: Buffer }> {
  const problems: string[] = [];
  const manifestBytes = await readOrProblem(path.join(dir, MANIFEST_FILE), problems);
  const model = await readOrProblem(path.join(dir, MODEL_FILE), problems);
  if (manifestBytes === null || model === null) throw new PackageError(dir, problems);

  let manifest: Manifest;
  try {
    manifest = validateManifest(JSON.parse(manifestBytes.toString("utf8")) as unknown);
  } catch (err) {
    throw new PackageError(dir, [(err as Error).message]);
  }
  const actual = sha256Hex(model);
  if (actual !== manifest.sha256) throw new PackageError(dir, [`sha256 of model.onnx is ${actual}, manifest says ${manifest.sha256}`]);
  return { manifest, model };
}

/** Reads a package (readPackage) and creates its onnxruntime session, checking the model's input and output. */
export async function loadPackage(dir: string, sessionOptions: ort.InferenceSession.SessionOptions = {}): Promise<LoadedModel> {
  const { manifest, model: modelBytes } = await readPackage(dir);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelBytes, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
      ...sessionOptions,
    });
  } catch (err) {
    throw new PackageError(dir, [`onnxruntime cannot load model.onnx: ${(err as Error).message}`]);
  }

  const { problems, maxBatch } = checkSessionIo(session, manifest);
  if (problems.length > 0) {
    await session.release();
    throw new PackageError(dir, problems);
  }
  return { dir, manifest, session, maxBatch };
}
