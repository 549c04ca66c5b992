// The receiver's file work in the model store: receive a tar stream into a private incoming folder (every file
// fsynced), move a validated package into <store>/<sha256>/ with one rename, prune old packages, and clean up
// what a killed receiver left behind. A half-received package is never visible under a package id.
import { randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { fsyncDir, isPackageId } from "../model/layout.js";
import { DeployError } from "./errors.js";
import { listPackage } from "./files.js";
import { isAlive } from "./lock.js";
import { packageDigest } from "./signature.js";
import { readTar, type TarSummary } from "./tar.js";

const INCOMING_PREFIX = ".incoming-";
const TRASH_PREFIX = ".trash-";

export interface ModelInfo {
  sha256: string;
  name: string | null;
  version: string | null;
}

/** Name and version from an installed package's manifest (null when unreadable). */
export async function describePackage(root: string, id: string): Promise<ModelInfo> {
  try {
    const m = JSON.parse(await readFile(path.join(root, id, "manifest.json"), "utf8")) as { name?: unknown; version?: unknown };
    return { sha256: id, name: typeof m.name === "string" ? m.name : null, version: typeof m.version === "string" ? m.version : null };
  } catch {
    return { sha256: id, name: null, version: null };
  }
}

export async function installedIds(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && isPackageId(e.name)).map((e) => e.name);
}

export async function ensureStore(root: string): Promise<void> {
  const s = await stat(root).catch(() => null);
  if (s === null || !s.isDirectory()) throw new DeployError("config", `there is no model store at ${root}`);
}

/** Removes incoming and trash folders whose receiver is gone (a dropped connection, a power cut). */
export async function cleanStale(root: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(root)) {
    const m = /^\.(?:incoming|trash)-(\d+)-/.exec(name);
    if (m !== null && !isAlive(Number(m[1]))) {
      await rm(path.join(root, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

export interface Received extends TarSummary {
  dir: string;
}

/** Reads the tar stream into a new <store>/.incoming-<pid>-* folder; on any problem the folder is removed. */
export async function receivePackage(source: AsyncIterable<Uint8Array>, root: string, maxBytes: number): Promise<Received> {
  const dir = await mkdtemp(path.join(root, `${INCOMING_PREFIX}${process.pid}-`));
  const folders = new Set<string>([dir]);
  let openHandle: FileHandle | null = null;
  const ensureFolder = async (abs: string): Promise<void> => {
    if (folders.has(abs)) return;
    await ensureFolder(path.dirname(abs));
    await mkdir(abs, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
    folders.add(abs);
  };
  try {
    await chmod(dir, 0o755); // mkdtemp makes it 0700; it becomes the package folder the runtime reads
    const summary = await readTar(
      source,
      {
        directory: (name) => ensureFolder(path.join(dir, name)),
        file: async (name) => {
          const abs = path.join(dir, name);
          await ensureFolder(path.dirname(abs));
          const handle = await open(abs, "wx", 0o644);
          openHandle = handle;
          return {
            write: async (chunk) => {
              await handle.write(chunk);
            },
            end: async () => {
              await handle.chmod(0o644);
              await handle.sync();
              await handle.close();
              openHandle = null;
            },
          };
        },
      },
      maxBytes,
    );
    // Folders deepest first, so every entry is durable before the folder is renamed into place.
    for (const folder of [...folders].sort((a, b) => b.length - a.length)) await fsyncDir(folder);
    return { ...summary, dir };
  } catch (err) {
    await (openHandle as FileHandle | null)?.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function sameContents(a: string, b: string): Promise<boolean> {
  const [la, lb] = await Promise.all([listPackage(a), listPackage(b)]);
  if (la.problems.length > 0 || lb.problems.length > 0) return false;
  return (await packageDigest(a, la.files)) === (await packageDigest(b, lb.files));
}

/**
 * Moves the incoming folder to <store>/<id> with one rename. "unchanged" when the same package is already
 * installed (the incoming folder is dropped); a different package under the same id (same model.onnx, other
 * manifest or files) replaces it.
 */
export async function installPackage(root: string, incoming: string, id: string): Promise<"installed" | "replaced" | "unchanged"> {
  const dest = path.join(root, id);
  const exists = await stat(dest).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (exists && (await sameContents(dest, incoming))) {
    await rm(incoming, { recursive: true, force: true });
    return "unchanged";
  }
  if (exists) {
    const trash = path.join(root, `${TRASH_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`);
    await rename(dest, trash);
    await rename(incoming, dest);
    await fsyncDir(root);
    await rm(trash, { recursive: true, force: true });
    return "replaced";
  }
  await rename(incoming, dest);
  await fsyncDir(root);
  return "installed";
}

/** Removes an installed package: renamed away first, so a half-deleted folder never carries a package id. */
export async function removePackage(root: string, id: string): Promise<void> {
  const trash = path.join(root, `${TRASH_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`);
  await rename(path.join(root, id), trash);
  await fsyncDir(root);
  await rm(trash, { recursive: true, force: true });
}

/**
 * Keeps the `keep` most recently activated packages (current and previous count, and are never removed; nor
 * is the bundled default) and removes the others. Returns the removed ids.
 */
export async function prune(root: string, keep: number, protect: ReadonlySet<string>, activated: ReadonlyMap<string, number>): Promise<string[]> {
  const ids = await installedIds(root);
  const when = new Map<string, number>();
  for (const id of ids) when.set(id, activated.get(id) ?? (await lstat(path.join(root, id))).mtimeMs);
  const order = ids.filter((id) => !protect.has(id)).sort((a, b) => when.get(b)! - when.get(a)!);
  let kept = ids.filter((id) => protect.has(id)).length;
  const removed: string[] = [];
  for (const id of order) {
    if (kept < keep) {
      kept++;
      continue;
    }
    await removePackage(root, id);
    removed.push(id);
  }
  return removed;
}

/** The installed package an id or unique prefix (6+ hex digits) names. */
export async function resolvePackageId(root: string, prefix: string): Promise<string> {
  const matches = (await installedIds(root)).filter((id) => id.startsWith(prefix));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new DeployError("not_found", `no installed package ${prefix}`);
  throw new DeployError("not_found", `${prefix} names ${matches.length} installed packages; give more digits`);
}

