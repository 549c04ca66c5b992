// Runtime configuration: defaults, then the JSON config file, then the environment; every key has a
// default and one schema entry; all problems are reported at once.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { KIOSK_LANGUAGES, type KioskLanguage } from "./contracts/api.js";

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
  /** store drawings visitors label ("Was I right?") as samples; off by default */
  collectSamples: boolean;
  /** where samples go: <samplesDir>/<digit>/<id>.png and .json */
  samplesDir: string;
  /** stop storing samples past this many */
  maxSamples: number;
  /** the kiosk's interface language */
  language: KioskLanguage;
  /** digits that open the operator overlay; null disables the overlay */
  operatorPin: string | null;
  /** idle seconds before the attract mode starts; 0: never */
  attractAfterSeconds: number;
  /** idle seconds before a drawing is cleared; 0: never */
  clearAfterSeconds: number;
  /** start the kiosk in classroom mode */
  classroom: boolean;
  /** show the classroom-mode button on screen */
  classroomButton: boolean;
}

const runtimeRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Read when it exists and CONFIG_FILE is not set. */
export const DEFAULT_CONFIG_FILE = "/etc/digit-kiosk/config.json";

export const DEFAULT_CONFIG: Config = {
  host: "127.0.0.1",
  port: 8080,
  modelDir: path.join(runtimeRoot, "models", "default"),
  staticDir: path.resolve(runtimeRoot, "..", "kiosk", "dist"),
  confidenceThreshold: 0.5,
  maxQueue: 256,
  maxBatch: 32,
  collectSamples: false,
  samplesDir: "/var/lib/digit-kiosk/samples",
  maxSamples: 50_000,
  language: "en",
  operatorPin: null,
  attractAfterSeconds: 60,
  clearAfterSeconds: 30,
  classroom: false,
  classroomButton: true,
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

/** A checked value, or the problem with it (said without the key's name). */
type Checked<T> = { ok: T } | { problem: string };
type Check<T> = (value: unknown, baseDir: string) => Checked<T>;

const shown = (v: unknown): string =>
  typeof v === "string" ? `"${v}"` : typeof v === "number" && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));

const int = (min: number, max: number): Check<number> => (v) =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? { ok: v } : { problem: `must be an integer in [${min}, ${max}], got ${shown(v)}` };

const fraction: Check<number> = (v) =>
  typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1 ? { ok: v } : { problem: `must be a number in [0, 1], got ${shown(v)}` };

const seconds: Check<number> = (v) =>
  typeof v === "number" && Number.isFinite(v) && (v === 0 || (v >= 1 && v <= 86_400))
    ? { ok: v }
    : { problem: `must be 0 (never) or a number of seconds in [1, 86400], got ${shown(v)}` };

const bool: Check<boolean> = (v) => (typeof v === "boolean" ? { ok: v } : { problem: `must be true or false, got ${shown(v)}` });

const text: Check<string> = (v) => (typeof v === "string" && v.trim() !== "" ? { ok: v } : { problem: `must be a non-empty string, got ${shown(v)}` });

/** A folder; relative paths are taken from the config file's folder (or the working directory for the environment). */
const folder: Check<string> = (v, baseDir) => {
  const t = text(v, baseDir);
  return "ok" in t ? { ok: path.resolve(baseDir, t.ok) } : t;
};

const language: Check<KioskLanguage> = (v) =>
  typeof v === "string" && (KIOSK_LANGUAGES as readonly string[]).includes(v)
    ? { ok: v as KioskLanguage }
    : { problem: `must be one of ${KIOSK_LANGUAGES.map((l) => `"${l}"`).join(", ")}, got ${shown(v)}` };

const pin: Check<string | null> = (v) =>
  v === null || (typeof v === "string" && /^\d{4,12}$/.test(v))
    ? { ok: v }
    : { problem: `must be null or a string of 4 to 12 digits (in quotes), got ${typeof v === "string" ? "a string that is not 4-12 digits" : shown(v)}` };

/** Environment values are text: numbers and booleans are parsed before the same check as the file's. */
type EnvKind = "text" | "number" | "boolean" | "nullable";

interface Entry<T> {
  env: string;
  kind: EnvKind;
  check: Check<T>;
}

const SCHEMA: { [K in keyof Config]: Entry<Config[K]> } = {
  host: { env: "HOST", kind: "text", check: text },
  port: { env: "PORT", kind: "number", check: int(0, 65535) },
  modelDir: { env: "MODEL_DIR", kind: "text", check: folder },
  staticDir: { env: "STATIC_DIR", kind: "text", check: folder },
  confidenceThreshold: { env: "CONFIDENCE_THRESHOLD", kind: "number", check: fraction },
  maxQueue: { env: "MAX_QUEUE", kind: "number", check: int(1, 100_000) },
  maxBatch: { env: "MAX_BATCH", kind: "number", check: int(1, 1024) },
  collectSamples: { env: "COLLECT_SAMPLES", kind: "boolean", check: bool },
  samplesDir: { env: "SAMPLES_DIR", kind: "text", check: folder },
  maxSamples: { env: "MAX_SAMPLES", kind: "number", check: int(0, 10_000_000) },
  language: { env: "KIOSK_LANGUAGE", kind: "text", check: language },
  operatorPin: { env: "OPERATOR_PIN", kind: "nullable", check: pin },
  attractAfterSeconds: { env: "ATTRACT_AFTER_SECONDS", kind: "number", check: seconds },
  clearAfterSeconds: { env: "CLEAR_AFTER_SECONDS", kind: "number", check: seconds },
  classroom: { env: "CLASSROOM", kind: "boolean", check: bool },
  classroomButton: { env: "CLASSROOM_BUTTON", kind: "boolean", check: bool },
};

const KEYS = Object.keys(SCHEMA) as Array<keyof Config>;

function fromEnvText(raw: string, kind: EnvKind): unknown {
  switch (kind) {
    case "text":
      return raw;
    case "number":
      // Unparseable text is kept, so the problem shows what was written.
      return raw.trim() === "" || Number.isNaN(Number(raw)) ? raw : Number(raw);
    case "boolean":
      return raw === "true" || raw === "1" ? true : raw === "false" || raw === "0" ? false : raw;
    case "nullable":
      return raw === "" ? null : raw;
  }
}

/** Applies one source's raw values onto cfg; problems are named "<where><key>". */
function apply(cfg: Config, values: Partial<Record<keyof Config, unknown>>, baseDir: string, name: (key: keyof Config) => string, problems: string[]): void {
  for (const key of KEYS) {
    if (!(key in values)) continue;
    const entry = SCHEMA[key] as Entry<unknown>;
    const result = entry.check(values[key], baseDir);
    if ("ok" in result) (cfg as unknown as Record<string, unknown>)[key] = result.ok;
    else problems.push(`${name(key)} ${result.problem}`);
  }
}

/** Reads and checks a JSON config file; unknown keys are problems too (a typo must not be ignored). */
function readConfigFile(file: string, problems: string[]): Partial<Record<keyof Config, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8")) as unknown;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push(`${file}: ${code !== undefined ? `cannot read it (${code})` : `is not valid JSON: ${(err as Error).message}`}`);
    return {};
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push(`${file}: must hold a JSON object`);
    return {};
  }
  const known = new Set<string>(KEYS);
  for (const key of Object.keys(value)) if (!known.has(key)) problems.push(`${file}: unknown key "${key}"`);
  return value as Partial<Record<keyof Config, unknown>>;
}

export interface ConfigSources {
  /** read when CONFIG_FILE is not set and this file exists */
  defaultFile?: string;
}

/**
 * The configuration: defaults, then the JSON file (CONFIG_FILE, or /etc/digit-kiosk/config.json when it
 * exists), then the environment (HOST, PORT, MODEL_DIR, ... one variable per key, see SCHEMA).
 * Throws ConfigError listing every problem found.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, sources: ConfigSources = {}): Config {
  const problems: string[] = [];
  const cfg: Config = { ...DEFAULT_CONFIG };
  const defaultFile = sources.defaultFile ?? DEFAULT_CONFIG_FILE;
  const file = env.CONFIG_FILE !== undefined && env.CONFIG_FILE !== "" ? path.resolve(env.CONFIG_FILE) : existsSync(defaultFile) ? defaultFile : null;
  if (file !== null) apply(cfg, readConfigFile(file, problems), path.dirname(file), (key) => `${file}: ${key}`, problems);

  const fromEnv: Partial<Record<keyof Config, unknown>> = {};
  for (const key of KEYS) {
    const { env: name, kind } = SCHEMA[key];
    const raw = env[name];
    if (raw !== undefined) fromEnv[key] = fromEnvText(raw, kind);
  }
  apply(cfg, fromEnv, process.cwd(), (key) => SCHEMA[key].env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}
