// Puts a finished package folder in place: build it in a staging folder beside the target, then swap the
// folders with renames, so a reader sees the old package or the new one, never a half-written mix.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, open, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { MANIFEST_FILE } from "@digit-kiosk/runtime/contracts/manifest";

/** A fresh, empty staging folder next to outDir (same file system, so rename works). */
export async function makeStagingDir(outDir: string): Promise<string> {
  const parent = path.dirname(path.resolve(outDir));
  await mkdir(parent, { recursive: true });
  const dir = path.join(parent, `.${path.basename(outDir)}.staging-${process.pid}-${randomBytes(3).toString("hex")}`);
  await mkdir(dir);
  return dir;
}

/** Refuses to replace a folder that is neither empty nor a model package (a mistyped --out must not delete someone's files). */
export async function checkReplaceable(outDir: string): Promise<void> {
  if (!existsSync(outDir)) return;
  const entries = await readdir(outDir);
  if (entries.length > 0 && !entries.includes(MANIFEST_FILE)) {
    throw new Error(`${outDir} exists and is not a model package (no ${MANIFEST_FILE}); refusing to replace it`);
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces outDir by staging: old folder aside, new one in, old one removed. */
export async function swapIntoPlace(staging: string, outDir: string): Promise<void> {
  await checkReplaceable(outDir);
  const parent = path.dirname(path.resolve(outDir));
  await fsyncDir(staging);
  if (existsSync(outDir)) {
    const previous = path.join(parent, `.${path.basename(outDir)}.previous-${process.pid}-${randomBytes(3).toString("hex")}`);
    await rename(outDir, previous);
    try {
      await rename(staging, outDir);
    } catch (err) {
      await rename(previous, outDir);
      throw err;
    }
    await rm(previous, { recursive: true, force: true });
  } else {
    await rename(staging, outDir);
  }
  await fsyncDir(parent);
}
