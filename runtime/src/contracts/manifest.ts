// The model package manifest of DESIGN.md: its type and the one validator that reports every problem at once.

export const MANIFEST_FILE = "manifest.json";
export const MODEL_FILE = "model.onnx";

export interface ManifestInput {
  name: string;
  shape: [1, 1, 28, 28];
  layout: "NCHW";
  /** x = (pixel * pixelScale - mean) / std, pixel 0..255, white ink on black */
  pixelScale: number;
  mean: number;
  std: number;
}

export interface ManifestOutput {
  name: string;
  kind: "logits" | "probabilities";
}

/** Golden digits shipped inside the package: 28x28 inputs with the digit the model must answer (see model/golden.ts). */
export interface ManifestGolden {
  /** a file name inside the package folder */
  file: string;
  /** hex sha256 of that file */
  sha256: string;
  count: number;
}

/**
 * Optional "not sure" calibration of a model (absent in older manifests): the runtime answers with
 * softmax(logits / temperature) and gives digit null when the top probability is below threshold.
 */
export interface Calibration {
  temperature: number;
  threshold: number;
  /** how it was fitted, for people */
  method?: string;
}

export interface Manifest {
  name: string;
  version: string;
  createdAt: string;
  /** hex sha256 of model.onnx */
  sha256: string;
  opset: number;
  quantization: "int8-qdq" | "none";
  input: ManifestInput;
  output: ManifestOutput;
  /** id of the strokes -> 28x28 procedure the model was trained for */
  preprocessing: string;
  metrics: Record<string, unknown>;
  training: Record<string, unknown>;
  /** optional: golden digits the validator runs before a model is activated */
  golden?: ManifestGolden;
  /** optional: temperature and "not sure" threshold fitted on validation data */
  calibration?: Calibration;
}

export class ManifestError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid manifest: ${problems.join("; ")}`);
    this.name = "ManifestError";
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks a parsed manifest.json; throws ManifestError listing every problem found. */
export function validateManifest(value: unknown): Manifest {
  const problems: string[] = [];
  if (!isObject(value)) throw new ManifestError(["manifest must be a JSON object"]);
  const str = (obj: Record<string, unknown>, key: string, where: string): void => {
    if (typeof obj[key] !== "string" || (obj[key] as string).length === 0) problems.push(`${where}${key} must be a non-empty string`);
  };
  const num = (obj: Record<string, unknown>, key: string, where: string, positive = false): void => {
    const v = obj[key];
    if (typeof v !== "number" || !Number.isFinite(v) || (positive && v <= 0)) {
      problems.push(`${where}${key} must be a ${positive ? "positive" : "finite"} number`);
    }
  };
  for (const key of ["name", "version", "createdAt", "preprocessing"]) str(value, key, "");
  if (typeof value.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(value.sha256)) problems.push("sha256 must be 64 lowercase hex digits");
  if (typeof value.opset !== "number" || !Number.isInteger(value.opset) || value.opset < 13) problems.push("opset must be an integer >= 13");
  if (value.quantization !== "int8-qdq" && value.quantization !== "none") problems.push('quantization must be "int8-qdq" or "none"');
  if (typeof value.createdAt === "string" && Number.isNaN(Date.parse(value.createdAt))) problems.push("createdAt must be an ISO date");

  const input = value.input;
  if (!isObject(input)) problems.push("input must be an object");
  else {
    str(input, "name", "input.");
    const shape = input.shape;
    if (!Array.isArray(shape) || shape.join(",") !== "1,1,28,28") problems.push("input.shape must be [1,1,28,28]");
    if (input.layout !== "NCHW") problems.push('input.layout must be "NCHW"');
    num(input, "pixelScale", "input.", true);
    num(input, "mean", "input.");
    num(input, "std", "input.", true);
  }
  const output = value.output;
  if (!isObject(output)) problems.push("output must be an object");
  else {
    str(output, "name", "output.");
    if (output.kind !== "logits" && output.kind !== "probabilities") problems.push('output.kind must be "logits" or "probabilities"');
  }
  if (value.calibration !== undefined) {
    const cal = value.calibration;
    if (!isObject(cal)) problems.push("calibration must be an object when present");
    else {
      const t = cal.temperature;
      if (typeof t !== "number" || !Number.isFinite(t) || t <= 0) problems.push("calibration.temperature must be a positive number");
      const p = cal.threshold;
      if (typeof p !== "number" || !Number.isFinite(p) || p < 0 || p > 1) problems.push("calibration.threshold must be a number in [0, 1]");
      if (cal.method !== undefined && typeof cal.method !== "string") problems.push("calibration.method must be a string when present");
    }
  }
  if (!isObject(value.metrics)) problems.push("metrics must be an object");
  if (!isObject(value.training)) problems.push("training must be an object");
  const golden = value.golden;
  if (golden !== undefined) {
    if (!isObject(golden)) problems.push("golden must be an object");
    else {
      if (typeof golden.file !== "string" || !/^[\w.-]+$/.test(golden.file) || golden.file.startsWith(".")) problems.push("golden.file must be a plain file name in the package");
      if (typeof golden.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(golden.sha256)) problems.push("golden.sha256 must be 64 lowercase hex digits");
      if (typeof golden.count !== "number" || !Number.isInteger(golden.count) || golden.count < 1) problems.push("golden.count must be a positive integer");
    }
  }
  if (problems.length > 0) throw new ManifestError(problems);
  return value as unknown as Manifest;
}
