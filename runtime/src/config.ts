// Runtime configuration from the environment: every key has a default; all problems reported at once.
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface Config {
  host: string;
  /** 0 picks a free port */
  port: number;
  /** a model package directory (manifest.json + model.onnx) */
  modelDir: string;
  /** the kiosk's built static files */
  staticDir: string;
  /** answers below this softmax confidence come back as digit null */
  confidenceThreshold: number;
  /** most predictions waiting for inference before new ones get 429 */
  maxQueue: number;
  /** largest batch handed to one inference run */
  maxBatch: number;
}

const runtimeRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export const DEFAULT_CONFIG: Config = {
  host: "127.0.0.1",
  port: 8080,
  modelDir: path.join(runtimeRoot, "models", "default"),
  staticDir: path.resolve(runtimeRoot, "..", "kiosk", "dist"),
  confidenceThreshold: 0.5,
  maxQueue: 256,
  maxBatch: 32,
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

function intIn(name: string, raw: string, min: number, max: number, problems: string[]): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) problems.push(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  return v;
}

/** Reads HOST, PORT, MODEL_DIR, STATIC_DIR, CONFIDENCE_THRESHOLD, MAX_QUEUE, MAX_BATCH. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const cfg: Config = { ...DEFAULT_CONFIG };
  if (env.HOST !== undefined) {
    if (env.HOST.trim() === "") problems.push("HOST must not be empty");
    cfg.host = env.HOST;
  }
  if (env.PORT !== undefined) cfg.port = intIn("PORT", env.PORT, 0, 65535, problems);
  if (env.MODEL_DIR !== undefined) cfg.modelDir = path.resolve(env.MODEL_DIR);
  if (env.STATIC_DIR !== undefined) cfg.staticDir = path.resolve(env.STATIC_DIR);
  if (env.CONFIDENCE_THRESHOLD !== undefined) {
    const v = Number(env.CONFIDENCE_THRESHOLD);
    if (!Number.isFinite(v) || v < 0 || v > 1) problems.push(`CONFIDENCE_THRESHOLD must be a number in [0, 1], got "${env.CONFIDENCE_THRESHOLD}"`);
    cfg.confidenceThreshold = v;
  }
  if (env.MAX_QUEUE !== undefined) cfg.maxQueue = intIn("MAX_QUEUE", env.MAX_QUEUE, 1, 100000, problems);
  if (env.MAX_BATCH !== undefined) cfg.maxBatch = intIn("MAX_BATCH", env.MAX_BATCH, 1, 1024, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}
