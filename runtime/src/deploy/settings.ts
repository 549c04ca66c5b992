// The receiver's settings: the paths come from its command line in authorized_keys (trusted, set by root);
// the limits from /etc/digit-kiosk/deploy.json (optional; every key has a default; all problems at once);
// the pinned signing keys from /etc/digit-kiosk/model-signing.pub (optional; when present, required).
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { KeyObject } from "node:crypto";
import { DeployError } from "./errors.js";
import { parsePublicKeys, PINNED_KEY_FILE } from "./signature.js";

export const DEFAULT_MODELS_DIR = "/var/lib/digit-kiosk/models";
export const DEFAULT_CONFIG_DIR = "/etc/digit-kiosk";
export const DEPLOY_CONFIG_FILE = "deploy.json";

export interface DeployLimits {
  /** packages kept in the store (current and previous included; the bundled default is always kept) */
  keep: number;
  /** the largest package stream accepted, bytes */
  maxPackageBytes: number;
  /** refuse packages without golden digits */
  requireGolden: boolean;
  /** median single-sample latency a model must meet on this device, ms; null: not measured */
  latencyBudgetMs: number | null;
  /** timed runs for the latency check */
  latencyRuns: number;
  /** how long the runtime may take to swap, ms */
  runtimeTimeoutMs: number;
  /** how long to wait for another deploy to finish, ms */
  lockTimeoutMs: number;
}

export interface ReceiverSettings extends DeployLimits {
  modelsDir: string;
  configDir: string;
}

export const DEFAULT_LIMITS: DeployLimits = {
  keep: 3,
  maxPackageBytes: 64 * 1024 * 1024,
  requireGolden: true,
  latencyBudgetMs: 50,
  latencyRuns: 50,
  runtimeTimeoutMs: 120_000,
  lockTimeoutMs: 120_000,
};

type Check = (v: unknown) => string | null;
const intIn = (min: number, max: number): Check => (v) =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max ? null : `must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}`;
const CHECKS: Record<keyof DeployLimits, Check> = {
  keep: intIn(2, 100),
  maxPackageBytes: intIn(1024, 2 * 1024 * 1024 * 1024),
  requireGolden: (v) => (typeof v === "boolean" ? null : `must be true or false, got ${JSON.stringify(v)}`),
  latencyBudgetMs: (v) => (v === null || (typeof v === "number" && Number.isFinite(v) && v > 0) ? null : `must be null or a positive number of ms, got ${JSON.stringify(v)}`),
  latencyRuns: intIn(5, 10_000),
  runtimeTimeoutMs: intIn(1000, 3_600_000),
  lockTimeoutMs: intIn(0, 3_600_000),
};

export async function loadSettings(modelsDir: string, configDir: string): Promise<ReceiverSettings> {
  const file = path.join(configDir, DEPLOY_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { ...DEFAULT_LIMITS, modelsDir, configDir };
    throw new DeployError("config", `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DeployError("config", `${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new DeployError("config", `${file} must hold a JSON object`);
  const problems: string[] = [];
  const limits: DeployLimits = { ...DEFAULT_LIMITS };
  for (const [key, v] of Object.entries(value)) {
    if (!(key in CHECKS)) {
      problems.push(`unknown key "${key}"`);
      continue;
    }
    const problem = CHECKS[key as keyof DeployLimits](v);
    if (problem !== null) problems.push(`${key} ${problem}`);
    else (limits as unknown as Record<string, unknown>)[key] = v;
  }
  if (problems.length > 0) throw new DeployError("config", `${file} is invalid: ${problems.join("; ")}`, problems);
  return { ...limits, modelsDir, configDir };
}

export interface PinnedKeys {
  file: string;
  keys: KeyObject[];
}

/** The pinned keys, or null when none is pinned. A key file that cannot be used refuses everything (fail closed). */
export async function loadPinnedKeys(configDir: string): Promise<PinnedKeys | null> {
  const file = path.join(configDir, PINNED_KEY_FILE);
  let pem: string;
  try {
    pem = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new DeployError("config", `cannot read the pinned signing key ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const { keys, problems } = parsePublicKeys(pem);
  if (problems.length > 0 || keys.length === 0) throw new DeployError("config", `the pinned signing key file ${file} is not usable: ${problems.join("; ")}`, problems);
  return { file, keys };
}
