// One change of the model store at a time: an exclusive lock file holding the owner's pid. A lock left by a
// receiver that died (power cut, kill -9) is stale once its pid is gone and is taken over.
import { open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { DeployError } from "./errors.js";

export const LOCK_FILE = ".deploy.lock";

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function tryLock(file: string): Promise<boolean> {
  try {
    const handle = await open(file, "wx", 0o600);
    try {
      await handle.writeFile(`${process.pid}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const owner = Number((await readFile(file, "utf8").catch(() => "")).trim());
  // A half-written lock (empty) of a live receiver lasts microseconds: treat it as held unless it stays empty.
  if (owner !== 0 && !isAlive(owner)) await rm(file, { force: true });
  return false;
}

/** Runs fn holding the store's lock; waits up to timeoutMs for another deploy, then refuses with "busy". */
export async function withStoreLock<T>(root: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const file = path.join(root, LOCK_FILE);
  const until = Date.now() + timeoutMs;
  let emptySince: number | null = null;
  while (!(await tryLock(file))) {
    const text = await readFile(file, "utf8").catch(() => null);
    if (text === "") {
      emptySince ??= Date.now();
      if (Date.now() - emptySince > 5000) await rm(file, { force: true });
    } else emptySince = null;
    if (Date.now() > until) throw new DeployError("busy", `another deploy holds ${file} (pid ${text?.trim() ?? "?"}); try again later`);
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}
