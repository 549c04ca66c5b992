// A package folder as the tar stream the kiosk's receiver reads: only the files a package may hold (the
// same rules as the receiver's), optionally with a fresh Ed25519 signature over all of them.
import { createPrivateKey } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { listPackage } from "../../runtime/src/deploy/files.js";
import { packageDigest, signDigest, SIGNATURE_FILE } from "../../runtime/src/deploy/signature.js";
import type { TarSource } from "../../runtime/src/deploy/tar.js";

export class PackError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length === 0 ? message : `${message}:\n  - ${problems.join("\n  - ")}`);
    this.name = "PackError";
  }
}

/** The signature file's text for the package folder, signed with the PEM private key in keyFile. */
export async function signPackage(dir: string, keyFile: string): Promise<string> {
  const listing = await listPackage(dir);
  if (listing.problems.length > 0) throw new PackError(`${dir} holds files a package may not`, listing.problems);
  let key;
  try {
    key = createPrivateKey(await readFile(keyFile, "utf8"));
  } catch (err) {
    throw new PackError(`cannot read the signing key ${keyFile}: ${(err as Error).message}`);
  }
  return signDigest(await packageDigest(dir, listing.files), key);
}

/** The entries to send: folders, then files, sorted; the signature replaced by a new one when signKey is given. */
export async function packageEntries(dir: string, signKey?: string): Promise<{ entries: TarSource[]; bytes: number; signed: boolean }> {
  const s = await stat(dir).catch(() => null);
  if (s === null || !s.isDirectory()) throw new PackError(`${dir} is not a folder`);
  const listing = await listPackage(dir);
  if (listing.problems.length > 0) throw new PackError(`${dir} holds files a package may not (move them out, or under report/)`, listing.problems);
  for (const required of ["manifest.json", "model.onnx"]) {
    if (!listing.files.some((f) => f.path === required)) throw new PackError(`${dir} is not a model package: it has no ${required}`);
  }
  const signature = signKey === undefined ? null : Buffer.from(await signPackage(dir, signKey), "utf8");
  const entries: TarSource[] = listing.directories.map((d) => ({ path: d, kind: "directory" as const }));
  let bytes = 0;
  for (const f of listing.files) {
    if (f.path === SIGNATURE_FILE && signature !== null) continue;
    entries.push({ path: f.path, kind: "file", size: f.size, body: () => createReadStream(path.join(dir, f.path)) });
    bytes += f.size;
  }
  if (signature !== null) {
    entries.push({ path: SIGNATURE_FILE, kind: "file", size: signature.length, body: () => signature });
    bytes += signature.length;
  }
  return { entries, bytes, signed: signature !== null || listing.files.some((f) => f.path === SIGNATURE_FILE) };
}
