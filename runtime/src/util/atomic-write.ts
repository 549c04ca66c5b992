// Atomic file writes (temp file in the same folder, fsync, rename, fsync of the folder), shared by the
// model store, the deploy receiver, the sample store and training's package writer.
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import path from "node:path";

/** A unique hidden temp name beside `base` in `dir`. */
export const tempName = (dir: string, base: string): string => path.join(dir, `.${base}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a file atomically (temp file with the final mode, fsync, rename, fsync of the folder). */
export async function writeFileAtomic(file: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  const temp = tempName(dir, path.basename(file));
  const handle = await open(temp, "wx", mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode); // the umask may have narrowed the mode open() was given
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}
