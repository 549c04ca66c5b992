// The one sha256 helper: package ids, manifest checks, signatures and bundles all use lowercase hex.
import { createHash } from "node:crypto";

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");
