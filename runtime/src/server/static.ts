// The kiosk's built files, read once into memory at start-up and served with their content types.
import { readdir, readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import path from "node:path";

export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** URL path ("/app.js") -> file; "/" maps to index.html. Returns an empty map when dir is missing. */
export async function loadStaticFiles(dir: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch {
    return files;
  }
  for (const rel of entries) {
    const full = path.join(dir, rel);
    let body: Buffer;
    try {
      body = await readFile(full);
    } catch {
      continue; // a directory
    }
    const type = TYPES[path.extname(rel).toLowerCase()] ?? "application/octet-stream";
    const etag = `"${createHash("sha1").update(body).digest("base64url").slice(0, 16)}"`;
    const urlPath = "/" + rel.split(path.sep).join("/");
    files.set(urlPath, { body, type, etag });
  }
  const index = files.get("/index.html");
  if (index !== undefined) files.set("/", index);
  return files;
}
