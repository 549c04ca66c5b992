// File helpers for the bundle: running commands, ELF architecture checks, tree hashing and sizes.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { lstat, open, readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";

export type Arch = "x64" | "arm64";
export const ARCHES: readonly Arch[] = ["x64", "arm64"];

/** Runs a command, failing with its output when it exits non-zero. */
export function exec(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")));
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? code ?? "?"}):\n${err.slice(-4000)}${out.slice(-2000)}`));
    });
  });
}

/** ELF e_machine values of the architectures we ship. */
const ELF_MACHINE: Record<Arch, number> = { x64: 0x3e, arm64: 0xb7 };

/** The architecture of an ELF file, or null for anything else. */
export async function elfArch(file: string): Promise<Arch | "other" | null> {
  const handle = await open(file, "r");
  try {
    const header = Buffer.alloc(20);
    const { bytesRead } = await handle.read(header, 0, 20, 0);
    if (bytesRead < 20 || header.readUInt32BE(0) !== 0x7f454c46) return null;
    const machine = header.readUInt16LE(18);
    for (const arch of ARCHES) if (ELF_MACHINE[arch] === machine) return arch;
    return "other";
  } finally {
    await handle.close();
  }
}

/** Every regular file and symlink under dir, as sorted paths relative to it. */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** A hash of the tree's paths, contents and link targets: same files, same hash. */
export async function hashTree(dir: string): Promise<string> {
  const hash = createHash("sha256");
  for (const rel of await listTree(dir)) {
    const full = path.join(dir, rel);
    const info = await lstat(full);
    hash.update(`${rel}\0${info.mode & 0o111 ? "x" : "-"}\0`);
    if (info.isSymbolicLink()) hash.update(`-> ${await readlink(full)}`);
    else hash.update(createHash("sha256").update(await readFile(full)).digest());
    hash.update("\0");
  }
  return hash.digest("hex");
}

export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const rel of await listTree(dir)) {
    const info = await lstat(path.join(dir, rel));
    if (info.isFile()) total += info.size;
  }
  return total;
}

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
