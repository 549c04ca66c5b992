// A small ustar reader and writer for model packages in transit: the reader streams entries to a visitor and
// refuses anything but regular files and folders (no links, devices, pax or GNU extensions), names the package
// rules do not allow, duplicates, a stream past the size cap, a bad header checksum and a truncated stream.
import { DeployError } from "./errors.js";
import { packagePathProblem, type EntryKind } from "./files.js";

export const BLOCK = 512;

export interface FileSink {
  write(chunk: Uint8Array): Promise<void>;
  end(): Promise<void>;
}

export interface TarVisitor {
  directory(name: string): Promise<void>;
  file(name: string, size: number): Promise<FileSink>;
}

export interface TarSummary {
  /** bytes read from the stream, end-of-archive blocks included */
  bytes: number;
  files: number;
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** Pulls exact byte counts from an async byte stream, counting against the size cap. */
class StreamReader {
  private buffer: Buffer = Buffer.alloc(0);
  total = 0;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    private readonly maxBytes: number,
  ) {}

  /** Adds the next chunk; false at the end of the stream. */
  private async fill(): Promise<boolean> {
    const next = await this.source.next();
    if (next.done === true) return false;
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    this.total += chunk.length;
    if (this.total > this.maxBytes) throw new DeployError("too_large", `the package is larger than this kiosk accepts (${mib(this.maxBytes)})`);
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    return true;
  }

  /** Exactly n bytes, or null when the stream ends first (the bytes read so far are then lost). */
  async exact(n: number): Promise<Buffer | null> {
    while (this.buffer.length < n) if (!(await this.fill())) return null;
    const out = Buffer.from(this.buffer.subarray(0, n));
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  /** Between 1 and max bytes, or null at the end of the stream. */
  async some(max: number): Promise<Buffer | null> {
    if (this.buffer.length === 0 && !(await this.fill())) return null;
    const out = Buffer.from(this.buffer.subarray(0, max));
    this.buffer = this.buffer.subarray(out.length);
    return out;
  }
}

const cstring = (block: Buffer, start: number, length: number): string => {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString("latin1");
};

function octal(block: Buffer, start: number, length: number, what: string): number {
  if ((block[start]! & 0x80) !== 0) throw new DeployError("bad_archive", `the tar header's ${what} uses the base-256 extension (too large)`);
  const text = cstring(block, start, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new DeployError("bad_archive", `the tar header's ${what} is not an octal number`);
  return text === "" ? 0 : parseInt(text, 8);
}

interface Header {
  name: string;
  kind: EntryKind;
  size: number;
}

const TYPE_NAMES: Record<string, string> = {
  "1": "a hard link",
  "2": "a symbolic link",
  "3": "a character device",
  "4": "a block device",
  "6": "a FIFO",
  "7": "a contiguous file",
  x: "a pax extended header",
  g: "a pax global header",
  L: "a GNU long name",
  K: "a GNU long link name",
};

function parseHeader(block: Buffer): Header {
  const stored = octal(block, 148, 8, "checksum");
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  if (sum !== stored) throw new DeployError("bad_archive", "a tar header's checksum does not match: this is not a tar stream, or it is corrupt");
  const magic = block.toString("latin1", 257, 263);
  if (magic !== "ustar\0" && magic !== "ustar ") throw new DeployError("bad_archive", "not a ustar archive");
  const prefix = magic === "ustar\0" ? cstring(block, 345, 155) : "";
  const rawName = prefix === "" ? cstring(block, 0, 100) : `${prefix}/${cstring(block, 0, 100)}`;
  const flag = String.fromCharCode(block[156]!);
  const size = octal(block, 124, 12, "size");
  let kind: EntryKind;
  if (flag === "0" || flag === "\0") kind = "file";
  else if (flag === "5") kind = "directory";
  else throw new DeployError("bad_archive", `${JSON.stringify(rawName)} is ${TYPE_NAMES[flag] ?? `of tar type ${JSON.stringify(flag)}`}; a package holds only regular files and folders`);
  let name = rawName.startsWith("./") ? rawName.slice(2) : rawName;
  if (kind === "directory" && name.endsWith("/")) name = name.slice(0, -1);
  if (kind === "directory" && size !== 0) throw new DeployError("bad_archive", `the folder ${JSON.stringify(rawName)} has a size`);
  return { name, kind, size };
}

const isZero = (b: Buffer): boolean => b.every((v) => v === 0);

/**
 * Reads a tar stream into the visitor. Throws a DeployError (bad_archive, too_large, truncated) on the first
 * problem; the visitor's files are then incomplete and the caller throws the whole folder away.
 */
export async function readTar(source: AsyncIterable<Uint8Array>, visitor: TarVisitor, maxBytes: number): Promise<TarSummary> {
  const reader = new StreamReader(source[Symbol.asyncIterator](), maxBytes);
  const seen = new Set<string>();
  let files = 0;
  const truncated = (where: string): DeployError =>
    new DeployError("truncated", `the package stream ended after ${reader.total} bytes, ${where}: the transfer was interrupted or the archive is cut short`);
  for (;;) {
    const block = await reader.exact(BLOCK);
    if (block === null) throw truncated(seen.size === 0 ? "before any file" : "before the end-of-archive marker");
    if (isZero(block)) break;
    const header = parseHeader(block);
    if (header.kind === "directory" && (header.name === "" || header.name === ".")) continue; // "./" of tar -C dir .
    const problem = packagePathProblem(header.name, header.kind);
    if (problem !== null) throw new DeployError("bad_archive", problem);
    if (seen.has(header.name)) throw new DeployError("bad_archive", `${JSON.stringify(header.name)} appears twice in the archive`);
    seen.add(header.name);
    if (header.kind === "directory") {
      await visitor.directory(header.name);
      continue;
    }
    if (header.size > maxBytes) throw new DeployError("too_large", `${header.name} is ${mib(header.size)}, more than this kiosk accepts (${mib(maxBytes)})`);
    const sink = await visitor.file(header.name, header.size);
    let left = header.size;
    while (left > 0) {
      const chunk = await reader.some(left);
      if (chunk === null) throw truncated(`in the middle of ${header.name}`);
      await sink.write(chunk);
      left -= chunk.length;
    }
    await sink.end();
    files++;
    const padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
    if (padding > 0 && (await reader.exact(padding)) === null) throw truncated(`after ${header.name}`);
  }
  // The end: a second zero block, then only zero padding (GNU tar pads to its record size).
  const second = await reader.exact(BLOCK);
  if (second === null) throw truncated("inside the end-of-archive marker");
  for (let rest: Buffer | null = second; rest !== null; rest = await reader.some(64 * 1024)) {
    if (!isZero(rest)) throw new DeployError("bad_archive", "there is data after the end of the archive");
  }
  return { bytes: reader.total, files };
}

// --- writer ------------------------------------------------------------------------------------------

export type TarSource =
  | { path: string; kind: "directory" }
  | { path: string; kind: "file"; size: number; body: () => AsyncIterable<Uint8Array> | Uint8Array };

function writeOctal(block: Buffer, start: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, "0")}\0`, start, length, "latin1");
}

/** One ustar header block; names longer than 100 characters are split into prefix and name. */
export function tarHeader(name: string, kind: EntryKind, size: number, mtimeS = 0): Buffer {
  const full = kind === "directory" ? `${name}/` : name;
  let prefix = "";
  let base = full;
  if (Buffer.byteLength(full) > 100) {
    const cut = full.lastIndexOf("/", full.length - 2);
    prefix = full.slice(0, cut);
    base = full.slice(cut + 1);
    if (cut <= 0 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(base) > 100) throw new Error(`the path ${name} is too long for a ustar header`);
  }
  const block = Buffer.alloc(BLOCK);
  block.write(base, 0, 100, "latin1");
  writeOctal(block, 100, 8, kind === "directory" ? 0o755 : 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, kind === "directory" ? 0 : size);
  writeOctal(block, 136, 12, Math.max(0, Math.floor(mtimeS)));
  block.fill(0x20, 148, 156);
  block.write(kind === "directory" ? "5" : "0", 156, 1, "latin1");
  block.write("ustar\0", 257, 6, "latin1");
  block.write("00", 263, 2, "latin1");
  block.write(prefix, 345, 155, "latin1");
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return block;
}

/** The tar stream of the entries, chunk by chunk; a file whose size changes while it is read is an error. */
export async function* writeTar(entries: Iterable<TarSource>, mtimeS = Math.floor(Date.now() / 1000)): AsyncGenerator<Uint8Array> {
  for (const entry of entries) {
    if (entry.kind === "directory") {
      yield tarHeader(entry.path, "directory", 0, mtimeS);
      continue;
    }
    yield tarHeader(entry.path, "file", entry.size, mtimeS);
    const body = entry.body();
    let written = 0;
    if (body instanceof Uint8Array) {
      written = body.byteLength;
      if (written === entry.size) yield body;
    } else {
      for await (const chunk of body) {
        written += chunk.byteLength;
        if (written > entry.size) break;
        yield chunk;
      }
    }
    if (written !== entry.size) throw new Error(`${entry.path} changed while it was sent (${written} bytes instead of ${entry.size})`);
    const padding = (BLOCK - (entry.size % BLOCK)) % BLOCK;
    if (padding > 0) yield Buffer.alloc(padding);
  }
  yield Buffer.alloc(2 * BLOCK);
}
