// Writes a model package (model.onnx + manifest.json, as in DESIGN.md), validated before anything is written.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { MANIFEST_FILE, MODEL_FILE, validateManifest, type Calibration, type Manifest } from "@digit-kiosk/runtime/contracts/manifest";
import { sha256Hex } from "@digit-kiosk/runtime/util/sha256";
import { PREPROCESSING_ID } from "@digit-kiosk/runtime/preprocess/index";
import { writeFileAtomic } from "./util/atomic-write.js";
import type { Normalization } from "./normalization.js";

export interface PackageInput {
  name: string;
  version: string;
  onnx: Uint8Array;
  opset: number;
  inputName: string;
  outputName: string;
  normalization: Normalization;
  metrics: Record<string, unknown>;
  training: Record<string, unknown>;
  /** optional "not sure" calibration (temperature + threshold) */
  calibration?: Calibration;
  /** defaults to now */
  createdAt?: Date;
}

export { sha256Hex };

/** The manifest for a package, checked with the runtime's own validator. */
export function buildManifest(input: PackageInput): Manifest {
  const manifest: Manifest = {
    name: input.name,
    version: input.version,
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    sha256: sha256Hex(input.onnx),
    opset: input.opset,
    quantization: "none",
    input: {
      name: input.inputName,
      shape: [1, 1, 28, 28],
      layout: "NCHW",
      pixelScale: input.normalization.pixelScale,
      mean: input.normalization.mean,
      std: input.normalization.std,
    },
    output: { name: input.outputName, kind: "logits" },
    preprocessing: PREPROCESSING_ID,
    metrics: input.metrics,
    training: input.training,
    ...(input.calibration !== undefined ? { calibration: input.calibration } : {}),
  };
  return validateManifest(JSON.parse(JSON.stringify(manifest)) as unknown);
}

/**
 * Creates dir if needed and writes model.onnx, then manifest.json (each atomically), so a
 * reader that sees the new manifest also sees the model it describes. Returns the manifest.
 */
export async function writeModelPackage(dir: string, input: PackageInput): Promise<Manifest> {
  const manifest = buildManifest(input);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, MODEL_FILE), input.onnx);
  await writeFileAtomic(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
