// The device's model store on disk (DESIGN.md): <root>/<sha256>/ holds one package each, <root>/current and
// <root>/previous are relative symlinks switched atomically, <root>/.bundled names the bundled default.
// Shared by the runtime's ModelStore and the deploy receiver; every write is temp file/link + fsync + rename.
import { readFile, readlink, rename, rm, symlink } from "node:fs/promises";
import path from "node:path";
import { fsyncDir, tempName, writeFileAtomic } from "../util/atomic-write.js";

export { fsyncDir, writeFileAtomic };

export const CURRENT_LINK = "current";
export const PREVIOUS_LINK = "previous";
/** Written by provisioning/install.sh: the id of the bundled default package. */
export const BUNDLED_FILE = ".bundled";
/** Written by the runtime while it runs: where and how the deploy receiver asks it to swap models. */
export const ADMIN_ENDPOINT_FILE = ".runtime-admin.json";

export type LinkName = typeof CURRENT_LINK | typeof PREVIOUS_LINK;

/** A package id is the sha256 of its model.onnx, 64 lowercase hex digits. */
export const isPackageId = (name: string): boolean => /^[0-9a-f]{64}$/.test(name);

/** The store root when modelDir is a store's `current` link (the device layout), else null (a plain package folder). */
export function storeRootOf(modelDir: string): string | null {
  return path.basename(modelDir) === CURRENT_LINK ? path.dirname(path.resolve(modelDir)) : null;
}

/** The package id a link points at; null when the link is absent or does not name a package of this store. */
export async function readPackageLink(root: string, name: LinkName): Promise<string | null> {
  let target: string;
  try {
    target = await readlink(path.join(root, name));
  } catch {
    return null;
  }
  const id = path.basename(target);
  const inRoot = path.dirname(target) === "." || path.resolve(root, path.dirname(target)) === path.resolve(root);
  return inRoot && isPackageId(id) ? id : null;
}

/** The bundled default's id (from .bundled), or null. */
export async function readBundledId(root: string): Promise<string | null> {
  const text = await readFile(path.join(root, BUNDLED_FILE), "utf8").catch(() => "");
  const id = text.trim();
  return isPackageId(id) ? id : null;
}



/** Points root/name at the package id: a new relative symlink renamed over the old one, then the folder fsynced. */
export async function switchLink(root: string, name: LinkName, id: string): Promise<void> {
  if (!isPackageId(id)) throw new Error(`not a package id: ${id}`);
  const temp = tempName(root, name);
  await symlink(id, temp);
  try {
    await rename(temp, path.join(root, name));
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await fsyncDir(root);
}

export async function removeLink(root: string, name: LinkName): Promise<void> {
  await rm(path.join(root, name), { force: true });
  await fsyncDir(root);
}

