// Reads the regular files of a (gzipped) ustar/pax tar archive in memory: enough for data sets shipped as .tar.gz.
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";

export interface TarEntry {
  /** path inside the archive, as stored (pax path or ustar prefix/name) */
  name: string;
  data: Uint8Array;
}

const BLOCK = 512;

function cString(buf: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && buf[end] !== 0) end++;
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("utf8");
}

function octal(buf: Uint8Array, start: number, length: number, where: string): number {
  const text = cString(buf, start, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`tar: bad octal field "${text}" in the header at byte ${where}`);
  return parseInt(text, 8);
}

/** pax extended header records: "<len> key=value\n" */
function paxRecords(data: Uint8Array): Map<string, string> {
  const text = Buffer.from(data).toString("utf8");
  const out = new Map<string, string>();
  let at = 0;
  while (at < text.length) {
    const space = text.indexOf(" ", at);
    if (space < 0) break;
    const len = Number(text.slice(at, space));
    if (!Number.isInteger(len) || len <= 0) break;
    const record = text.slice(space + 1, at + len - 1);
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

/** The regular files of an uncompressed tar, in archive order. Throws on a truncated or corrupt archive. */
export function parseTar(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let paxPath: string | undefined;
  let longName: string | undefined;
  for (;;) {
    if (offset + BLOCK > tar.length) throw new Error(`tar: archive ends at byte ${tar.length} without an end-of-archive block (truncated)`);
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // end-of-archive marker
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    const stored = octal(header, 148, 8, String(offset));
    if (sum !== stored) throw new Error(`tar: header checksum mismatch at byte ${offset} (not a tar archive, or corrupt)`);
    const size = octal(header, 124, 12, String(offset));
    const type = String.fromCharCode(header[156]! || 48);
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length) throw new Error(`tar: entry at byte ${offset} runs past the end of the archive (truncated)`);
    const data = tar.subarray(dataStart, dataStart + size);
    const magic = cString(header, 257, 6);
    const prefix = magic.startsWith("ustar") ? cString(header, 345, 155) : "";
    const baseName = cString(header, 0, 100);
    if (type === "x") paxPath = paxRecords(data).get("path");
    else if (type === "L") longName = cString(data, 0, data.length);
    else {
      if (type === "0" || type === "7") {
        const name = paxPath ?? longName ?? (prefix !== "" ? `${prefix}/${baseName}` : baseName);
        entries.push({ name, data });
      }
      paxPath = undefined;
      longName = undefined;
    }
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}

/** Reads a .tar or .tar.gz file (gzip detected by its magic bytes). */
export async function readTarFile(file: string): Promise<TarEntry[]> {
  const raw = new Uint8Array(await readFile(file));
  const tar = raw[0] === 0x1f && raw[1] === 0x8b ? new Uint8Array(gunzipSync(raw)) : raw;
  return parseTar(tar);
}
