// Reads a request body with a hard size cap. Chunks are copied (uWebSockets.js reuses their memory).
import type { HttpResponse } from "uWebSockets.js";
import { tooLarge } from "../contracts/errors.js";

/**
 * Collects the body; rejects with 413 as soon as it grows past maxBytes. Resolves with null if the
 * client aborts (the caller's onAborted has already fired then).
 */
export function readBody(res: HttpResponse, maxBytes: number, declaredLength: number | null): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (declaredLength !== null && declaredLength > maxBytes) {
      reject(tooLarge(`body is ${declaredLength} bytes, more than ${maxBytes}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    res.onData((chunk, isLast) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        failed = true;
        reject(tooLarge(`body is more than ${maxBytes} bytes`));
        return;
      }
      chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
      if (isLast) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
  });
}
