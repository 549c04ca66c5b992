// Ed25519 signatures of model packages. What is signed is a canonical list of every file of the package
// (sha256, size, path; the signature file itself excluded), so no file can be added, dropped or changed.
// The kiosk pins public keys in /etc/digit-kiosk/model-signing.pub (one or more PEM blocks).
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import type { PackageFile } from "./files.js";

export const SIGNATURE_FILE = "signature";
export const SIGNATURE_FORMAT = "digit-kiosk-signature/1";
export const PINNED_KEY_FILE = "model-signing.pub";
const DIGEST_HEADER = "digit-kiosk-package/1\n";

export interface SignatureJson {
  format: typeof SIGNATURE_FORMAT;
  algorithm: "ed25519";
  /** first 16 hex digits of the sha256 of the public key (SPKI DER) */
  keyId: string;
  signedAt: string;
  /** base64 */
  signature: string;
}

async function fileSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The text that is signed: a header, then "<sha256>  <size>  <path>" per file, sorted by path. */
export async function packageDigest(dir: string, files: readonly PackageFile[]): Promise<string> {
  const lines: string[] = [];
  for (const f of [...files].filter((f) => f.path !== SIGNATURE_FILE).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    lines.push(`${await fileSha256(path.join(dir, f.path))}  ${f.size}  ${f.path}\n`);
  }
  return DIGEST_HEADER + lines.join("");
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex").slice(0, 16);
}

/** The signature file's text for a digest. */
export function signDigest(digest: string, privateKey: KeyObject): string {
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error(`the signing key is ${privateKey.asymmetricKeyType ?? "not asymmetric"}, not Ed25519`);
  const json: SignatureJson = {
    format: SIGNATURE_FORMAT,
    algorithm: "ed25519",
    keyId: keyIdOf(createPublicKey(privateKey)),
    signedAt: new Date().toISOString(),
    signature: sign(null, Buffer.from(digest, "utf8"), privateKey).toString("base64"),
  };
  return `${JSON.stringify(json, null, 1)}\n`;
}

/** The Ed25519 public keys in a PEM text (one or more blocks); every block that is not one is a problem. */
export function parsePublicKeys(pem: string): { keys: KeyObject[]; problems: string[] } {
  const blocks = pem.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  const keys: KeyObject[] = [];
  const problems: string[] = [];
  if (blocks.length === 0) problems.push("no PEM public key (-----BEGIN PUBLIC KEY-----) found");
  blocks.forEach((block, i) => {
    try {
      const key = createPublicKey(block);
      if (key.asymmetricKeyType === "ed25519") keys.push(key);
      else problems.push(`key ${i + 1} is ${key.asymmetricKeyType ?? "unknown"}, not Ed25519`);
    } catch (err) {
      problems.push(`key ${i + 1} cannot be read: ${(err as Error).message}`);
    }
  });
  return { keys, problems };
}

export type Verdict = { ok: true; keyId: string } | { ok: false; problem: string };

/** Checks a signature file's text against the digest with any of the pinned keys. */
export function verifyDigest(digest: string, signatureText: string, keys: readonly KeyObject[]): Verdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(signatureText);
  } catch {
    return { ok: false, problem: "the signature file is not JSON" };
  }
  const s = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Partial<Record<keyof SignatureJson, unknown>>;
  if (s.format !== SIGNATURE_FORMAT || s.algorithm !== "ed25519" || typeof s.signature !== "string") {
    return { ok: false, problem: `the signature file is not a ${SIGNATURE_FORMAT} Ed25519 signature` };
  }
  const bytes = Buffer.from(s.signature, "base64");
  for (const key of keys) {
    if (verify(null, Buffer.from(digest, "utf8"), key, bytes)) return { ok: true, keyId: keyIdOf(key) };
  }
  const pinned = keys.map(keyIdOf).join(", ");
  return { ok: false, problem: `the signature (key ${typeof s.keyId === "string" ? s.keyId : "?"}) does not verify with the pinned key(s) ${pinned}: the package was changed after signing, or signed with another key` };
}

/** A new Ed25519 key pair as PEM (private: PKCS#8, public: SPKI). */
export function generateSigningKeys(): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId: keyIdOf(publicKey),
  };
}
