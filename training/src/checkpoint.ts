// Training checkpoints: checkpoint.json (state, key, tensor table) plus one binary file of
// little-endian float32/uint32 arrays, both written atomically; the JSON is written last and names
// the binary by file name, size and sha256, so a crash at any point leaves the previous checkpoint whole.
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { sha256Hex } from "@digit-kiosk/runtime/util/sha256";
import type { EpochStats } from "./train.js";
import { writeFileAtomic } from "./util/atomic-write.js";

export const CHECKPOINT_FILE = "checkpoint.json";
const FORMAT = "digit-kiosk/train-checkpoint@1";
const DATA_FILE = /^state-e\d+-[0-9a-f]+\.bin$/;

export interface CheckpointOptions {
  /** folder of checkpoint.json and its data file (created when missing) */
  dir: string;
  /** continue from the checkpoint in dir (an error when there is none) */
  resume?: boolean;
  /** what the run was started with (e.g. JSON of the resolved config); a resume needs the same key */
  key: string;
}

export type StoredArray = { dtype: "float32"; shape: number[]; data: Float32Array } | { dtype: "uint32"; shape: number[]; data: Uint32Array };

/** Everything but the arrays: where training stands after `epoch` of `epochs`. */
export interface CheckpointState {
  key: string;
  /** the trainer's own view of its setup (config, data sizes, backend); must match on resume too */
  setup: Record<string, unknown>;
  epoch: number;
  epochs: number;
  step: number;
  random: number;
  mix: { random: number; cursors: number[] } | null;
  adamIterations: number;
  history: EpochStats[];
  best: { epoch: number; score: number } | null;
  /** seconds spent training so far, over all sessions */
  trainedSeconds: number;
}

interface TensorEntry {
  name: string;
  dtype: "float32" | "uint32";
  shape: number[];
  /** byte offset in the data file */
  offset: number;
}

interface CheckpointFile extends CheckpointState {
  format: string;
  savedAt: string;
  data: { file: string; bytes: number; sha256: string };
  tensors: TensorEntry[];
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** Writes the data file, then checkpoint.json (each atomically), then removes data files no longer named. */
export async function writeCheckpoint(dir: string, state: CheckpointState, arrays: Map<string, StoredArray>): Promise<void> {
  const tensors: TensorEntry[] = [];
  let bytes = 0;
  for (const [name, a] of arrays) {
    if (a.data.length !== size(a.shape)) throw new Error(`checkpoint array ${name}: ${a.data.length} values for shape [${a.shape.join(",")}]`);
    tensors.push({ name, dtype: a.dtype, shape: a.shape, offset: bytes });
    bytes += a.data.byteLength;
  }
  const data = new Uint8Array(bytes);
  for (const t of tensors) {
    const a = arrays.get(t.name)!;
    data.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), t.offset);
  }
  const file = `state-e${String(state.epoch).padStart(4, "0")}-${randomBytes(4).toString("hex")}.bin`;
  const meta: CheckpointFile = { format: FORMAT, savedAt: new Date().toISOString(), ...state, data: { file, bytes, sha256: sha256Hex(data) }, tensors };
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(path.join(dir, file), data);
  await writeFileAtomic(path.join(dir, CHECKPOINT_FILE), `${JSON.stringify(meta)}\n`);
  for (const old of await readdir(dir)) if (DATA_FILE.test(old) && old !== file) await rm(path.join(dir, old), { force: true });
}

export async function hasCheckpoint(dir: string): Promise<boolean> {
  try {
    await stat(path.join(dir, CHECKPOINT_FILE));
    return true;
  } catch {
    return false;
  }
}

/** Reads and checks checkpoint.json (not the data file): a clear error when it is missing or malformed. */
export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  return readMeta(dir);
}

async function readMeta(dir: string): Promise<CheckpointFile> {
  const file = path.join(dir, CHECKPOINT_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new Error(`no checkpoint in ${dir} (no ${CHECKPOINT_FILE}): nothing to resume`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`checkpoint ${file} is not valid JSON (${(err as Error).message}); delete ${dir} to start over`);
  }
  const problems = metaProblems(parsed);
  if (problems.length > 0) throw new Error(`checkpoint ${file} is malformed: ${problems.join("; ")}; delete ${dir} to start over`);
  return parsed as CheckpointFile;
}

function isTensorEntry(t: unknown): t is TensorEntry {
  return isObject(t) && typeof t.name === "string" && (t.dtype === "float32" || t.dtype === "uint32") && Array.isArray(t.shape) && t.shape.every(isCount) && isCount(t.offset) && t.offset % 4 === 0;
}

function metaProblems(m: unknown): string[] {
  if (!isObject(m)) return ["not an object"];
  if (m.format !== FORMAT) return [`format is ${JSON.stringify(m.format)}, expected ${FORMAT}`];
  const problems: string[] = [];
  if (typeof m.key !== "string") problems.push("key is not a string");
  if (!isObject(m.setup)) problems.push("setup is not an object");
  for (const k of ["epoch", "epochs", "step", "random", "adamIterations"] as const) if (!isCount(m[k])) problems.push(`${k} is not a count`);
  if (isCount(m.epoch) && isCount(m.epochs) && (m.epoch < 1 || m.epoch > m.epochs)) problems.push(`epoch ${m.epoch} outside 1..${m.epochs}`);
  if (!(typeof m.trainedSeconds === "number" && m.trainedSeconds >= 0)) problems.push("trainedSeconds is not a duration");
  if (m.mix !== null && !(isObject(m.mix) && isCount(m.mix.random) && Array.isArray(m.mix.cursors) && m.mix.cursors.every(isCount))) problems.push("mix is neither null nor {random, cursors}");
  if (!(Array.isArray(m.history) && m.history.every((h) => isObject(h) && isCount(h.epoch) && typeof h.loss === "number" && typeof h.accuracy === "number"))) {
    problems.push("history is not a list of epoch stats");
  } else if (isCount(m.epoch) && m.history.length !== m.epoch) problems.push(`history has ${m.history.length} epochs, expected ${m.epoch}`);
  if (m.best !== null && !(isObject(m.best) && isCount(m.best.epoch) && typeof m.best.score === "number")) problems.push("best is neither null nor {epoch, score}");
  const d = m.data;
  if (!(isObject(d) && typeof d.file === "string" && DATA_FILE.test(d.file) && isCount(d.bytes) && typeof d.sha256 === "string")) problems.push("data is not {file, bytes, sha256}");
  if (!Array.isArray(m.tensors)) problems.push("tensors is not a list");
  else {
    for (const t of m.tensors as unknown[]) {
      if (!isTensorEntry(t)) problems.push(`bad tensor entry ${String(JSON.stringify(t)).slice(0, 80)}`);
      else if (isObject(d) && isCount(d.bytes) && t.offset + 4 * size(t.shape) > d.bytes) problems.push(`tensor ${t.name} ends past the data's ${d.bytes} bytes`);
    }
  }
  return problems;
}

/** Reads a checkpoint whole: its state and its arrays, the data file checked against its size and sha256. */
export async function readCheckpoint(dir: string): Promise<{ state: CheckpointState; arrays: Map<string, StoredArray> }> {
  const meta = await readMeta(dir);
  const file = path.join(dir, meta.data.file);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch {
    throw new Error(`checkpoint data ${file} is missing; delete ${dir} to start over`);
  }
  if (bytes.length !== meta.data.bytes) throw new Error(`checkpoint data ${file} is truncated or overlong: ${bytes.length} bytes, expected ${meta.data.bytes}; delete ${dir} to start over`);
  if (sha256Hex(bytes) !== meta.data.sha256) throw new Error(`checkpoint data ${file} is corrupt (sha256 does not match ${CHECKPOINT_FILE}); delete ${dir} to start over`);
  const arrays = new Map<string, StoredArray>();
  for (const t of meta.tensors) {
    const copy = bytes.slice(t.offset, t.offset + 4 * size(t.shape)).buffer; // aligned, owned
    arrays.set(t.name, t.dtype === "float32" ? { dtype: "float32", shape: t.shape, data: new Float32Array(copy) } : { dtype: "uint32", shape: t.shape, data: new Uint32Array(copy) });
  }
  const { key, setup, epoch, epochs, step, random, mix, adamIterations, history, best, trainedSeconds } = meta;
  return { state: { key, setup, epoch, epochs, step, random, mix, adamIterations, history, best, trainedSeconds }, arrays };
}

/** Throws unless the checkpoint was made for the same key (naming the differing fields of JSON keys). */
export function checkCheckpointKey(dir: string, saved: string, current: string): void {
  refuseDifferent(dir, "config", saved, current, "run with the same options, or ");
}

/** The trainer's own check that its setup (config, data sizes, backend) matches the checkpoint's. */
export function checkCheckpointSetup(dir: string, saved: Record<string, unknown>, current: Record<string, unknown>): void {
  refuseDifferent(dir, "setup", JSON.stringify(saved), JSON.stringify(current), "");
}

function refuseDifferent(dir: string, what: string, savedJson: string, currentJson: string, advice: string): void {
  if (savedJson === currentJson) return;
  const diff = describeDifference(savedJson, currentJson);
  throw new Error(`the checkpoint in ${dir} was made with a different training ${what}${diff === "" ? "" : ` (${diff})`}; ${advice}delete ${dir} to start over`);
}

/** "field: old -> new" for each top-level field of two JSON objects that differs; "" when not both objects. */
export function describeDifference(savedJson: string, currentJson: string): string {
  let saved: unknown;
  let current: unknown;
  try {
    saved = JSON.parse(savedJson);
    current = JSON.parse(currentJson);
  } catch {
    return "";
  }
  if (!isObject(saved) || !isObject(current)) return "";
  const show = (v: unknown): string => {
    const s = v === undefined ? "(unset)" : JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  };
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(current)])];
  return keys
    .filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(current[k]))
    .map((k) => `${k}: ${show(saved[k])} in the checkpoint, ${show(current[k])} now`)
    .join(", ");
}

/** Deletes a checkpoint (after its run finished): its files, then the folder when that is left empty. */
export async function removeCheckpoint(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await rm(path.join(dir, CHECKPOINT_FILE), { force: true });
  for (const name of names) if (DATA_FILE.test(name)) await rm(path.join(dir, name), { force: true });
  if ((await readdir(dir)).length === 0) await rmdir(dir);
}
